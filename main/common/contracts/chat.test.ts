// The chat parameters' contract: the sampling settings added later (top-k, min-p, repetition
// penalty, seed, stop strings) default to the sampling the chat had before, so parameters stored
// without them still parse; an update fills in nothing it leaves out; out-of-range values are refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChatParamsSchema, DEFAULT_CHAT_PARAMS, MAX_SEED, MAX_STOP_STRINGS, UpdateConversationInputSchema } from './chat.ts';

describe('ChatParamsSchema', () => {
  it('parses parameters stored before the sampling settings existed, with defaults that keep the old sampling', () => {
    const stored = { temperature: 0.3, topP: 0.9, maxTokens: 100, contextLength: 1024, overflow: 'stop' };
    const params = ChatParamsSchema.parse(stored);
    assert.deepEqual(params, { ...stored, topK: 50, minP: 0, repetitionPenalty: 1, seed: null, stop: [] });
    assert.deepEqual(ChatParamsSchema.parse(DEFAULT_CHAT_PARAMS), DEFAULT_CHAT_PARAMS, 'the defaults are valid');
    assert.equal(DEFAULT_CHAT_PARAMS.seed, null, 'a random seed each reply unless one is set');
  });

  it('keeps the sampling settings given', () => {
    const given = { ...DEFAULT_CHAT_PARAMS, topK: 1, minP: 0.05, repetitionPenalty: 1.3, seed: 42, stop: ['\n\n', 'END'] };
    assert.deepEqual(ChatParamsSchema.parse(given), given);
    assert.equal(ChatParamsSchema.parse({ ...DEFAULT_CHAT_PARAMS, seed: MAX_SEED }).seed, MAX_SEED);
  });

  it('refuses values out of range, naming the field', () => {
    const bad: Record<string, unknown>[] = [
      { topK: -1 },
      { topK: 2.5 },
      { topK: 1001 },
      { minP: 1.5 },
      { minP: -0.1 },
      { repetitionPenalty: 0 },
      { repetitionPenalty: 3 },
      { seed: -1 },
      { seed: 1.5 },
      { seed: MAX_SEED + 1 },
      { stop: [''] },
      { stop: 'END' },
      { stop: Array.from({ length: MAX_STOP_STRINGS + 1 }, (_, i) => `s${i}`) },
    ];
    for (const change of bad) {
      const parsed = ChatParamsSchema.safeParse({ ...DEFAULT_CHAT_PARAMS, ...change });
      assert.equal(parsed.success, false, `${JSON.stringify(change)} was accepted`);
      assert.equal(parsed.error?.issues[0]?.path[0], Object.keys(change)[0]);
    }
  });
});

describe('UpdateConversationInputSchema', () => {
  it('leaves out what an update does not name, so the stored values stay', () => {
    const update = UpdateConversationInputSchema.parse({ conversationId: 'c1', params: { temperature: 0 } });
    assert.deepEqual(update.params, { temperature: 0 });
    assert.deepEqual(UpdateConversationInputSchema.parse({ conversationId: 'c1', params: { stop: ['x'], seed: null } }).params, { stop: ['x'], seed: null });
    assert.equal(UpdateConversationInputSchema.safeParse({ conversationId: 'c1', params: { topK: -3 } }).success, false);
  });
});
