// A chat on shakespeare-5m: the KV cache carries over between turns without changing the
// reply, and each overflow policy says what it dropped.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadTokenizer } from '../tokenizer/load-tokenizer.ts';
import type { ChatMessage } from '../tokenizer/chat-template.ts';
import type { TextTokenizer } from '../tokenizer/text-tokenizer.ts';
import { ChatSession, replyReserve } from './chat-session.ts';
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

describe('replyReserve', () => {
  it('reserves the reply limit, but never more than half the context', () => {
    assert.equal(replyReserve(12, 128), 12);
    assert.equal(replyReserve(64, 128), 64);
    assert.equal(replyReserve(65, 128), 64);
    // The app's default: 512 new tokens on a 512-token model leaves half for the prompt.
    assert.equal(replyReserve(512, 512), 256);
    assert.equal(replyReserve(1000, 129), 64);
  });
});

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

  it('reserves at most half the context for the reply, so a reply limit as long as the context still leaves room for a prompt', async () => {
    const chat = session({ overflow: 'stop', contextLength: 128, history: LONG_HISTORY, generation: { temperature: 0, maxNewTokens: 128 } });
    try {
      await assert.rejects(collectGeneration(chat.send('Once more?')), /plus 64 reserved for the reply, but the context holds 128 tokens/);
    } finally {
      chat.dispose();
    }
    const short = session({ overflow: 'stop', contextLength: 128, generation: { temperature: 0, maxNewTokens: 128 } });
    try {
      const reply = await collectGeneration(short.send('Who art thou?'));
      assert.ok(reply.promptTokens > 0 && reply.promptTokens <= 64, `prompt of ${reply.promptTokens} tokens`);
    } finally {
      short.dispose();
    }
  });

  it('answers a conversation handed over whole: an edited last message keeps the cache up to the edit and answers as a cold session would', async () => {
    const warm = session({});
    try {
      const first = await collectGeneration(warm.send('Who art thou?'));
      const edited: ChatMessage[] = [...warm.messages, { role: 'user', content: 'Whither goest thou?' }];
      await collectGeneration(warm.answer(edited));
      // Edit-and-resend: the same history with a different last user message.
      const rewritten: ChatMessage[] = [...edited.slice(0, -1), { role: 'user', content: 'What news?' }];
      const again = await collectGeneration(warm.answer(rewritten));
      assert.ok(again.reusedTokens >= first.promptTokens, `reused ${again.reusedTokens} of the first prompt's ${first.promptTokens}`);
      assert.deepEqual(warm.messages, [...rewritten, { role: 'assistant', content: again.text }]);

      const cold = session({ history: rewritten.slice(0, -1) });
      try {
        const coldReply = await collectGeneration(cold.send('What news?'));
        assert.equal(coldReply.reusedTokens, 0);
        assert.deepEqual(again.ids, coldReply.ids);
      } finally {
        cold.dispose();
      }
    } finally {
      warm.dispose();
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
