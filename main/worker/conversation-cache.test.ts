// The worker's conversation cache is the engine's ChatSession: the same reply reservation, the
// KV cache kept across the app's turns, and made anew for another conversation; conversations
// answered at once give the replies they give alone.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CHAT_PARAMS } from '../common/contracts/chat.ts';
import type { ChatParams } from '../common/contracts/chat.ts';
import { collectGeneration } from '../engine/runtime/generate.ts';
import { openModel } from '../engine/runtime/model-session.ts';
import type { LoadedModel } from '../engine/runtime/model-session.ts';
import { FixtureBuilds, SHAKESPEARE_DIR, fixturesMissing } from '../engine/runtime/test/reference-fixtures.ts';
import { loadTokenizer } from '../engine/tokenizer/load-tokenizer.ts';
import type { TextTokenizer } from '../engine/tokenizer/text-tokenizer.ts';
import { BatchedDecoder } from '../engine/runtime/batched-decoder.ts';
import { ConversationCache } from './conversation-cache.ts';
import type { ConversationTurn } from './conversation-cache.ts';
import type { WorkerChatMessage } from './worker-protocol.ts';

const skip = fixturesMissing(SHAKESPEARE_DIR);
const builds = new FixtureBuilds();
after(() => builds.cleanup());

const PARAMS: ChatParams = { ...DEFAULT_CHAT_PARAMS, temperature: 0, maxTokens: 8, contextLength: 128 };

/** Six earlier exchanges, long enough to outgrow a 128-token context. */
const LONG_HISTORY: WorkerChatMessage[] = Array.from({ length: 6 }, (_, i) => [
  { role: 'user' as const, content: `Speak the ${i + 1}th line, good sir.` },
  { role: 'assistant' as const, content: `My lord, the ${i + 1}th line is this: to be or not to be, that is the question.` },
]).flat();

describe('ConversationCache on shakespeare-5m', { skip }, () => {
  let model: LoadedModel;
  let tokenizer: TextTokenizer;
  before(async () => {
    const dir = await builds.build(SHAKESPEARE_DIR, 'shakespeare-5m');
    model = await openModel(dir, { threads: 2 });
    tokenizer = await loadTokenizer(dir);
  });
  after(() => model?.release());

  const turn = (messages: WorkerChatMessage[], params: Partial<ChatParams> = {}, conversationId = 'c1'): ConversationTurn => ({
    conversationId,
    systemPrompt: null,
    messages,
    params: { ...PARAMS, ...params },
    seed: 1,
  });

  it('reserves at most half the context for the reply, as the engine does (one reservation)', async () => {
    const cache = new ConversationCache(model, tokenizer);
    try {
      // The app's default reply limit (512) on a 128-token context: 64 tokens are kept for it, not 512.
      const ask = turn([...LONG_HISTORY, { role: 'user', content: 'Once more?' }], { maxTokens: 512, overflow: 'stop' });
      await assert.rejects(collectGeneration(cache.answer(ask)), /plus 64 reserved for the reply, but the context holds 128 tokens/);
    } finally {
      cache.dispose();
    }
  });

  it("keeps the conversation's KV cache across turns and starts over for another conversation", async () => {
    const cache = new ConversationCache(model, tokenizer);
    try {
      const first: WorkerChatMessage[] = [{ role: 'user', content: 'Who art thou?' }];
      const one = await collectGeneration(cache.answer(turn(first)));
      assert.equal(one.reusedTokens, 0);
      const second: WorkerChatMessage[] = [...first, { role: 'assistant', content: one.text }, { role: 'user', content: 'Whither goest thou?' }];
      const two = await collectGeneration(cache.answer(turn(second)));
      assert.ok(two.reusedTokens >= one.promptTokens, `reused ${two.reusedTokens} tokens of a ${one.promptTokens}-token first prompt`);
      const other = await collectGeneration(cache.answer(turn(second, {}, 'c2')));
      assert.equal(other.reusedTokens, 0);
      assert.deepEqual(other.ids, two.ids);
    } finally {
      cache.dispose();
    }
  });

  it('answers two conversations at once, each as it answers alone, their decode steps batched', async () => {
    const asks: [string, WorkerChatMessage[]][] = [
      ['a', [{ role: 'user', content: 'Who art thou?' }]],
      ['b', [{ role: 'user', content: 'Speak, good sir, and tell me of the king.' }]],
    ];
    const alone: number[][] = [];
    for (const [id, messages] of asks) {
      const single = new ConversationCache(model, tokenizer);
      alone.push((await collectGeneration(single.answer(turn(messages, { maxTokens: 30 }, id)))).ids);
      single.dispose();
    }
    const decoder = new BatchedDecoder(model);
    const cache = new ConversationCache(model, tokenizer, decoder);
    try {
      const together = await Promise.all(asks.map(([id, messages]) => collectGeneration(cache.answer(turn(messages, { maxTokens: 30 }, id)))));
      assert.deepEqual(
        together.map((r) => r.ids),
        alone,
      );
      assert.ok(decoder.stats.batchedSteps > 0, 'the two replies were decoded in shared batches');
      assert.equal(cache.answering, 0);
      // When a answers again, the idle b is freed: at most one idle conversation keeps its KV.
      await collectGeneration(cache.answer(turn(asks[0][1], { maxTokens: 2 }, 'a')));
      assert.equal(decoder.openSequences, 1, 'the idle conversation b was freed when a answered again');
    } finally {
      cache.dispose();
    }
  });
});
