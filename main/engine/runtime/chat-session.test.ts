// A chat on shakespeare-5m: the KV cache carries over between turns without changing the
// reply, and each overflow policy says what it dropped.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadTokenizer } from '../tokenizer/load-tokenizer.ts';
import type { ChatMessage } from '../tokenizer/chat-template.ts';
import type { TextTokenizer } from '../tokenizer/text-tokenizer.ts';
import { ChatSession } from './chat-session.ts';
import type { ChatSessionOptions } from './chat-session.ts';
import { ContextOverflowError } from './context-overflow.ts';
import { collectGeneration } from './generate.ts';
import type { KvCacheKind } from './kv-cache.ts';
import { openModel } from './model-session.ts';
import type { LoadedModel } from './model-session.ts';
import { FixtureBuilds, SHAKESPEARE_DIR, fixturesMissing } from './test/reference-fixtures.ts';

const skip = fixturesMissing(SHAKESPEARE_DIR);
const builds = new FixtureBuilds();
after(() => builds.cleanup());

const GREEDY = { temperature: 0, maxNewTokens: 12 };
const SYSTEM = 'You are a player in a Shakespeare play.';

/** Six earlier exchanges, each a user line and a reply of a few dozen tokens. */
const LONG_HISTORY: ChatMessage[] = Array.from({ length: 6 }, (_, i) => [
  { role: 'user', content: `Speak the ${i + 1}th line, good sir.` },
  { role: 'assistant', content: `My lord, the ${i + 1}th line is this: to be or not to be, that is the question.` },
]).flat();

describe('ChatSession on shakespeare-5m', { skip }, () => {
  let model: LoadedModel;
  let tokenizer: TextTokenizer;
  before(async () => {
    const dir = await builds.build(SHAKESPEARE_DIR, 'shakespeare-5m');
    model = await openModel(dir, { threads: 2 });
    tokenizer = await loadTokenizer(dir);
  });
  after(() => model?.release());

  const session = (options: ChatSessionOptions) => new ChatSession(model, tokenizer, { systemPrompt: SYSTEM, generation: GREEDY, ...options });

  for (const cache of ['shared-buffer', 'growing'] as KvCacheKind[]) {
    it(`reuses the first turn's KV in the second and answers as a cold session would (${cache} cache)`, async () => {
      const warm = session({ cache });
      try {
        const first = await collectGeneration(warm.send('Who art thou?'));
        assert.equal(first.reusedTokens, 0);
        assert.ok(first.ids.length > 0);
        const cachedAfterFirst = warm.cachedTokens;
        // Everything fed in turn one: the prompt and the reply but its last token (sampled, never fed).
        assert.equal(cachedAfterFirst, first.promptTokens + first.ids.length - 1);
        const history = [...warm.messages];

        const second = await collectGeneration(warm.send('Whither goest thou?'));
        assert.ok(second.reusedTokens > 0);
        assert.equal(second.reusedTokens, cachedAfterFirst);
        assert.deepEqual(second.dropped, { turns: 0, tokens: 0 });

        const cold = session({ cache, history });
        try {
          const coldReply = await collectGeneration(cold.send('Whither goest thou?'));
          assert.equal(coldReply.reusedTokens, 0);
          assert.equal(coldReply.promptTokens, second.promptTokens);
          assert.deepEqual(second.ids, coldReply.ids);
          assert.equal(second.text, coldReply.text);
        } finally {
          cold.dispose();
        }
        assert.equal(warm.messages.length, 4);
        assert.deepEqual(warm.messages[3], { role: 'assistant', content: second.text });
      } finally {
        warm.dispose();
      }
    });
  }

  it("overflow 'stop': throws a clear error naming the sizes and keeps the history", async () => {
    const chat = session({ overflow: 'stop', contextLength: 128, history: LONG_HISTORY });
    try {
      await assert.rejects(collectGeneration(chat.send('Once more?')), (error: Error) => {
        assert.ok(error instanceof ContextOverflowError, `${error.name}: ${error.message}`);
        assert.match(error.message, /needs \d+ tokens plus 12 reserved for the reply, but the context holds 128 tokens/);
        return true;
      });
      assert.equal(chat.messages.length, LONG_HISTORY.length);
    } finally {
      chat.dispose();
    }
  });

  it("overflow 'truncate-middle': drops the oldest turns, keeps the system prompt and the latest, and says so", async () => {
    const chat = session({ overflow: 'truncate-middle', contextLength: 128, history: LONG_HISTORY });
    try {
      const result = await collectGeneration(chat.send('Once more?'));
      assert.ok(result.dropped.turns > 0 && result.dropped.turns < 6, `dropped ${result.dropped.turns} turns`);
      const kept = [...LONG_HISTORY.slice(2 * result.dropped.turns), { role: 'user', content: 'Once more?' }];
      const expectedPrompt = tokenizer.encodeChat(kept, { addGenerationPrompt: true, systemPrompt: SYSTEM });
      assert.equal(result.promptTokens, expectedPrompt.length);
      const full = tokenizer.encodeChat([...LONG_HISTORY, { role: 'user', content: 'Once more?' }], { addGenerationPrompt: true, systemPrompt: SYSTEM });
      assert.equal(result.dropped.tokens, full.length - expectedPrompt.length);
      assert.ok(result.promptTokens + 12 <= 128);
      // One turn fewer would not have fit.
      const oneMore = tokenizer.encodeChat([...LONG_HISTORY.slice(2 * result.dropped.turns - 2), { role: 'user', content: 'Once more?' }], {
        addGenerationPrompt: true,
        systemPrompt: SYSTEM,
      });
      assert.ok(oneMore.length + 12 > 128);
    } finally {
      chat.dispose();
    }
  });

  it("overflow 'rolling-window': keeps the most recent tokens with the system prompt and reports the dropped tokens", async () => {
    const chat = session({ overflow: 'rolling-window', contextLength: 128, history: LONG_HISTORY });
    try {
      const result = await collectGeneration(chat.send('Once more?'));
      const full = tokenizer.encodeChat([...LONG_HISTORY, { role: 'user', content: 'Once more?' }], { addGenerationPrompt: true, systemPrompt: SYSTEM });
      assert.equal(result.promptTokens, 128 - 12);
      assert.equal(result.dropped.tokens, full.length - (128 - 12));
      assert.ok(result.dropped.turns >= 1, `dropped ${result.dropped.turns} whole turns`);
      // The next turn slides the window again; the dropped count grows with the conversation.
      const next = await collectGeneration(chat.send('And then?'));
      assert.ok(next.dropped.tokens > result.dropped.tokens);
      assert.equal(next.promptTokens, 128 - 12);
    } finally {
      chat.dispose();
    }
  });
});
