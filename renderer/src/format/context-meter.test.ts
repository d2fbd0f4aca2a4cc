import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message, MessageStats } from '../../../main/common/contracts/chat.ts';
import { contextUsage, contextUsageText } from './context-meter.ts';

function stats(promptTokens: number, tokens: number): MessageStats {
  return { tokens, tokensPerSecond: 1, ttftMs: 1, promptTokens, reusedTokens: 0, dropped: { turns: 0, tokens: 0 }, device: 'cpu', stopReason: 'eos' };
}

function msg(id: string, role: Message['role'], s: MessageStats | null): Message {
  return { id, conversationId: 'c', role, content: '', status: s ? 'complete' : 'streaming', error: null, stats: s, createdAt: 0 };
}

test('the meter is the last reply’s prompt plus its output, against the context length', () => {
  const usage = contextUsage([msg('a1', 'assistant', stats(100, 20)), msg('u2', 'user', null), msg('a2', 'assistant', stats(300, 212))], 2048);
  assert.deepEqual(usage, { usedTokens: 512, contextLength: 2048, fraction: 0.25 });
  assert.equal(usage && contextUsageText(usage), '512 of 2048 tokens of context (25 %)');
});

test('a reply still streaming (no stats) falls back to the previous measured one', () => {
  const usage = contextUsage([msg('a1', 'assistant', stats(100, 28)), msg('u2', 'user', null), msg('a2', 'assistant', null)], 256);
  assert.equal(usage?.usedTokens, 128);
  assert.equal(usage?.fraction, 0.5);
});

test('nothing measured yet gives no meter; overfull caps at 1', () => {
  assert.equal(contextUsage([], 2048), null);
  assert.equal(contextUsage([msg('a1', 'assistant', stats(4000, 100))], 2048)?.fraction, 1);
});
