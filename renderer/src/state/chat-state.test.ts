import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CHAT_PARAMS } from '../../../main/common/contracts/chat.ts';
import type { Conversation, Message } from '../../../main/common/contracts/chat.ts';
import { chatReducer, EMPTY_CHAT, streamingMessage } from './chat-state.ts';
import type { ChatState } from './chat-state.ts';

function message(id: string, role: Message['role'], content: string, status: Message['status'] = 'complete'): Message {
  return { id, conversationId: 'c1', role, content, status, error: null, stats: null, createdAt: 1 };
}

function conversation(messages: Message[]): Conversation {
  return { id: 'c1', title: 'Test', modelId: 'm1', precision: 'int8', adapterId: null, updatedAt: 1, systemPrompt: '', params: DEFAULT_CHAT_PARAMS, messages };
}

function loaded(messages: Message[]): ChatState {
  return chatReducer(EMPTY_CHAT, { type: 'loaded', conversation: conversation(messages) });
}

const texts = (s: ChatState) => s.conversation?.messages.map((m) => `${m.role}:${m.content}:${m.status}`);

test('send adds the user message and an empty streaming reply that tokens then grow', () => {
  let s = loaded([]);
  s = chatReducer(s, { type: 'reply-started', started: { conversationId: 'c1', userMessageId: 'u1', assistantMessageId: 'a1' }, reply: { kind: 'send', text: 'Hi' }, now: 5 });
  assert.deepEqual(texts(s), ['user:Hi:complete', 'assistant::streaming']);
  assert.equal(streamingMessage(s)?.id, 'a1');
  s = chatReducer(s, { type: 'event', event: { type: 'chat.token', conversationId: 'c1', messageId: 'a1', text: 'Hel' } });
  s = chatReducer(s, { type: 'event', event: { type: 'chat.token', conversationId: 'c1', messageId: 'a1', text: 'lo' } });
  assert.deepEqual(texts(s), ['user:Hi:complete', 'assistant:Hello:streaming']);
});

test('tokens that arrive before the send call returns are kept, and the user message goes before them', () => {
  let s = loaded([]);
  s = chatReducer(s, { type: 'event', event: { type: 'chat.token', conversationId: 'c1', messageId: 'a1', text: 'Early' } });
  s = chatReducer(s, { type: 'reply-started', started: { conversationId: 'c1', userMessageId: 'u1', assistantMessageId: 'a1' }, reply: { kind: 'send', text: 'Hi' }, now: 5 });
  assert.deepEqual(texts(s), ['user:Hi:complete', 'assistant:Early:streaming']);
});

test('tokens for another conversation are ignored', () => {
  const s = loaded([message('u1', 'user', 'Hi')]);
  const next = chatReducer(s, { type: 'event', event: { type: 'chat.token', conversationId: 'other', messageId: 'x', text: 'nope' } });
  assert.equal(next, s);
});

test('chat.ended replaces the reply with the final message (a stop keeps the partial text)', () => {
  let s = loaded([message('u1', 'user', 'Hi'), message('a1', 'assistant', 'Hel', 'streaming')]);
  s = chatReducer(s, { type: 'event', event: { type: 'chat.ended', conversationId: 'c1', message: message('a1', 'assistant', 'Hell', 'stopped') } });
  assert.deepEqual(texts(s), ['user:Hi:complete', 'assistant:Hell:stopped']);
  assert.equal(streamingMessage(s), undefined);
});

test('a reload during streaming keeps the streamed text the store has not caught up with', () => {
  let s = loaded([message('u1', 'user', 'Hi'), message('a1', 'assistant', 'Hello wor', 'streaming')]);
  s = chatReducer(s, { type: 'loaded', conversation: conversation([message('u1', 'user', 'Hi'), message('a1', 'assistant', 'Hel', 'streaming')]) });
  assert.deepEqual(texts(s), ['user:Hi:complete', 'assistant:Hello wor:streaming']);
  // Once the reply has ended, the store is the truth.
  s = chatReducer(s, { type: 'loaded', conversation: conversation([message('u1', 'user', 'Hi'), message('a1', 'assistant', 'Hello', 'complete')]) });
  assert.deepEqual(texts(s), ['user:Hi:complete', 'assistant:Hello:complete']);
});

test('regenerate replaces the last reply with a new streaming one', () => {
  let s = loaded([message('u1', 'user', 'Hi'), message('a1', 'assistant', 'Old answer')]);
  s = chatReducer(s, { type: 'reply-started', started: { conversationId: 'c1', userMessageId: null, assistantMessageId: 'a2' }, reply: { kind: 'regenerate' }, now: 5 });
  assert.deepEqual(s.conversation?.messages.map((m) => m.id), ['u1', 'a2']);
  assert.equal(streamingMessage(s)?.id, 'a2');
});

test('edit and resend changes the user message and drops everything after it', () => {
  let s = loaded([message('u1', 'user', 'First'), message('a1', 'assistant', 'A'), message('u2', 'user', 'Second'), message('a2', 'assistant', 'B')]);
  s = chatReducer(s, { type: 'reply-started', started: { conversationId: 'c1', userMessageId: 'u1', assistantMessageId: 'a3' }, reply: { kind: 'edit', messageId: 'u1', text: 'First, edited' }, now: 5 });
  assert.deepEqual(texts(s), ['user:First, edited:complete', 'assistant::streaming']);
});

test('notices attach after the reply being written and survive only while that message does', () => {
  let s = loaded([message('u1', 'user', 'Hi'), message('a1', 'assistant', '', 'streaming')]);
  s = chatReducer(s, { type: 'event', event: { type: 'chat.notice', conversationId: 'c1', kind: 'context-dropped', text: 'Earlier turns were left out' } });
  assert.deepEqual(s.notices, [{ kind: 'context-dropped', text: 'Earlier turns were left out', afterMessageId: 'a1' }]);
  s = chatReducer(s, { type: 'loaded', conversation: conversation([message('u1', 'user', 'Hi')]) });
  assert.deepEqual(s.notices, []);
});

test('opening another conversation starts from its stored state, without the old notices', () => {
  let s = loaded([message('u1', 'user', 'Hi')]);
  s = chatReducer(s, { type: 'event', event: { type: 'chat.notice', conversationId: 'c1', kind: 'error', text: 'x' } });
  s = chatReducer(s, { type: 'loaded', conversation: { ...conversation([]), id: 'c2' } });
  assert.equal(s.conversation?.id, 'c2');
  assert.deepEqual(s.notices, []);
  assert.deepEqual(chatReducer(s, { type: 'closed' }), EMPTY_CHAT);
});
