// What keeping the KV cache between chat turns saves: the time to the first token of a second
// turn when only its new tokens are fed after the cached conversation, against feeding the
// whole conversation again into a fresh cache. Random ids stand in for the rendered chat
// (a benchmark model has no tokenizer); the token counts are what matters for the cost.
import type { KvCacheKind } from '../runtime/kv-cache.ts';
import { CachedSequence } from '../runtime/cached-sequence.ts';
import type { LoadedModel } from '../runtime/model-session.ts';
import { pickGreedy, randomTokenIds, warmUp } from './speed-benchmark.ts';

/** Prompt tokens per call on a cold start, as generate() feeds a long prompt. */
export const COLD_PREFILL_CHUNK = 512;

export interface SecondTurnOptions {
  /** Tokens of the first turn's prompt. */
  firstTurnTokens: number;
  /** Tokens of the first reply (generated greedily). */
  replyTokens: number;
  /** New tokens of the second turn (end of reply, user message, assistant header). */
  secondTurnTokens: number;
  cache?: KvCacheKind;
  /** Each TTFT is the median of this many runs. Default 3. */
  repeats?: number;
  seed?: number;
}

export interface SecondTurnResult {
  /** Tokens of the whole conversation up to the second reply. */
  conversationTokens: number;
  /** Tokens fed with KV reuse: the last reply token (never fed during generation) and the new turn. */
  reuseFedTokens: number;
  ttftReuseMs: number;
  ttftColdMs: number;
  repeats: number;
}

export async function runSecondTurnBenchmark(model: LoadedModel, options: SecondTurnOptions): Promise<SecondTurnResult> {
  const { firstTurnTokens, replyTokens, secondTurnTokens } = options;
  for (const [name, value, min] of [['first turn', firstTurnTokens, 1], ['reply', replyTokens, 1], ['second turn', secondTurnTokens, 1]] as const) {
    if (!Number.isInteger(value) || value < min) throw new RangeError(`The ${name} must be at least ${min} token(s), got ${value}.`);
  }
  const seed = options.seed ?? 1;
  const repeats = options.repeats ?? 3;
  const vocab = model.spec.vocabSize;
  await warmUp(model, firstTurnTokens, options.cache, seed);

  // Turn 1: prompt, then a greedy reply; the last reply token is sampled but not yet fed.
  const firstPrompt = randomTokenIds(firstTurnTokens, vocab, seed);
  const secondTurn = randomTokenIds(secondTurnTokens, vocab, seed + 2);
  const contextLength = firstTurnTokens + replyTokens + secondTurnTokens;
  const chat = new CachedSequence(model, { contextLength, cache: options.cache });
  try {
    let next = pickGreedy(await chat.feed(firstPrompt, 'last'));
    const reply = [next];
    while (reply.length < replyTokens) {
      next = pickGreedy(await chat.feed([next], 'last'));
      reply.push(next);
    }
    const cachedLength = chat.length;
    const newIds = [reply[reply.length - 1], ...secondTurn];
    const conversation = [...firstPrompt, ...reply, ...secondTurn];

    const reuse: number[] = [];
    const cold: number[] = [];
    for (let run = 0; run < repeats; run++) {
      let started = performance.now();
      pickGreedy(await chat.feed(newIds, 'last'));
      reuse.push(performance.now() - started);
      if (chat.truncate(cachedLength) !== cachedLength) throw new Error('The KV cache could not be cut back to the first turn; the reuse figure needs a CPU cache.');

      const fresh = new CachedSequence(model, { contextLength, cache: options.cache });
      try {
        started = performance.now();
        let logits: Float32Array | null = null;
        for (let at = 0; at < conversation.length; at += COLD_PREFILL_CHUNK) {
          logits = await fresh.feed(conversation.slice(at, at + COLD_PREFILL_CHUNK), 'last');
        }
        pickGreedy(logits!);
        cold.push(performance.now() - started);
      } finally {
        fresh.dispose();
      }
    }
    return { conversationTokens: conversation.length, reuseFedTokens: newIds.length, ttftReuseMs: median(reuse), ttftColdMs: median(cold), repeats };
  } finally {
    chat.dispose();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
