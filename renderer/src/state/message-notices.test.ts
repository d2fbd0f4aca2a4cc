import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message, MessageStats } from '../../../main/common/contracts/chat.ts';
import { noticesFor, storedNotices } from './message-notices.ts';

const stats: MessageStats = {
  tokens: 40,
  tokensPerSecond: 80,
  ttftMs: 12,
  promptTokens: 1900,
  reusedTokens: 0,
  dropped: { turns: 3, tokens: 412 },
  device: 'cpu',
  stopReason: 'max-tokens',
};

function reply(status: Message['status'], extra: Partial<Message> = {}): Message {
  return { id: 'a1', conversationId: 'c1', role: 'assistant', content: 'x', status, error: null, stats: null, createdAt: 1, ...extra };
}

test('dropped turns are reported with their numbers', () => {
  assert.deepEqual(
    storedNotices(reply('complete', { stats })).map((n) => n.text),
    ['Earlier turns were left out to fit the context (3 turns, 412 tokens).'],
  );
});

test('an interrupted, stopped or failed answer says so', () => {
  assert.match(storedNotices(reply('interrupted'))[0].text, /stopped unexpectedly; the answer was interrupted/);
  assert.match(storedNotices(reply('stopped'))[0].text, /partial answer was kept/);
  assert.equal(storedNotices(reply('error', { error: 'out of memory' }))[0].text, 'The answer failed: out of memory');
  assert.deepEqual(storedNotices(reply('complete')), []);
});

test('event notices add what the record does not say, once', () => {
  const events = [
    { kind: 'context-dropped' as const, text: 'Left out 3 turns', afterMessageId: 'a1' },
    { kind: 'worker-restarted' as const, text: 'The model process restarted.', afterMessageId: 'a1' },
    { kind: 'worker-restarted' as const, text: 'The model process restarted.', afterMessageId: 'a1' },
    { kind: 'error' as const, text: 'belongs to another message', afterMessageId: 'a0' },
  ];
  const shown = noticesFor(reply('interrupted', { stats }), events).map((n) => n.text);
  assert.equal(shown.length, 3);
  assert.ok(shown[0].startsWith('Earlier turns were left out'));
  assert.ok(shown.includes('The model process restarted.'));
  assert.ok(!shown.includes('Left out 3 turns'), 'the stats already report the dropped turns');
});
