// The speed measurement behind `hearth bench`: a prefill of a random prompt in one call, then
// greedy decode steps one token at a time through the KV cache, as generation runs them. The
// model is warmed up first (a short prefill and one decode step in a throwaway sequence):
// onnxruntime's first runs allocate and plan, and that one-off cost is not what a user waits
// for on every reply.
import type { KvCacheKind } from '../runtime/kv-cache.ts';
import { CachedSequence } from '../runtime/cached-sequence.ts';
import type { LoadedModel } from '../runtime/model-session.ts';
import { sampleNextToken, type SamplingParams } from '../runtime/sampler.ts';
import { SeededRandom } from '../runtime/seeded-random.ts';

/** Tokens of the warm-up prefill (fewer when the prompt is shorter). */
export const WARMUP_PROMPT_TOKENS = 16;

export const GREEDY: SamplingParams = { temperature: 0, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, recentIds: [] };

export interface SpeedBenchmarkOptions {
  promptTokens: number;
  /** Decode steps after the first token; 0 measures the prefill alone. */
  genTokens: number;
  /** Default: the runtime's default for the model (shared-buffer for fused attention). */
  cache?: KvCacheKind;
  /** Tokens the sequence holds; default promptTokens + genTokens (what the run needs). */
  contextLength?: number;
  /** Seed of the random prompt ids. Default 1. */
  seed?: number;
}

export interface SpeedBenchmarkResult {
  promptTokens: number;
  genTokens: number;
  contextLength: number;
  cache: KvCacheKind;
  /** The one prefill call. */
  prefillMs: number;
  /** The prefill call plus picking the first token. */
  ttftMs: number;
  /** All decode steps (feed one token, pick the next). */
  decodeMs: number;
  prefillTokensPerSecond: number;
  /** null when genTokens is 0. */
  decodeTokensPerSecond: number | null;
  /** The warm-up, for the record; never part of the figures above. */
  warmupMs: number;
}

/** `count` ids in [0, vocabSize), the same for the same seed. */
export function randomTokenIds(count: number, vocabSize: number, seed: number): number[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: count }, () => Math.floor(random.next() * vocabSize));
}

export function pickGreedy(logits: Float32Array): number {
  return sampleNextToken(logits, GREEDY, { next: () => 0 });
}

/** Feeds a short prompt and one decode step through a sequence of its own, then drops it. */
export async function warmUp(model: LoadedModel, promptTokens: number, cache: KvCacheKind | undefined, seed: number): Promise<number> {
  const started = performance.now();
  const ids = randomTokenIds(Math.max(1, Math.min(WARMUP_PROMPT_TOKENS, promptTokens)), model.spec.vocabSize, seed + 1);
  const sequence = new CachedSequence(model, { contextLength: ids.length + 1, cache });
  try {
    const logits = await sequence.feed(ids, 'last');
    await sequence.feed([pickGreedy(logits)], 'last');
  } finally {
    sequence.dispose();
  }
  return performance.now() - started;
}

export async function runSpeedBenchmark(model: LoadedModel, options: SpeedBenchmarkOptions): Promise<SpeedBenchmarkResult> {
  const { promptTokens, genTokens } = options;
  if (!Number.isInteger(promptTokens) || promptTokens < 1) throw new RangeError(`The prompt must be at least 1 token, got ${promptTokens}.`);
  if (!Number.isInteger(genTokens) || genTokens < 0) throw new RangeError(`The decode steps must be a whole number, got ${genTokens}.`);
  const seed = options.seed ?? 1;
  const contextLength = options.contextLength ?? promptTokens + genTokens;
  const warmupMs = await warmUp(model, promptTokens, options.cache, seed);

  const prompt = randomTokenIds(promptTokens, model.spec.vocabSize, seed);
  const sequence = new CachedSequence(model, { contextLength, cache: options.cache });
  try {
    const started = performance.now();
    let logits = await sequence.feed(prompt, 'last');
    const prefillMs = performance.now() - started;
    // Greedy, and end-of-sequence is ignored: the run always takes genTokens steps.
    let next = pickGreedy(logits);
    const ttftMs = performance.now() - started;

    const decodeStarted = performance.now();
    for (let step = 0; step < genTokens; step++) {
      logits = await sequence.feed([next], 'last');
      next = pickGreedy(logits);
    }
    const decodeMs = performance.now() - decodeStarted;
    return {
      promptTokens,
      genTokens,
      contextLength,
      cache: sequence.cache.kind,
      prefillMs,
      ttftMs,
      decodeMs,
      prefillTokensPerSecond: (promptTokens * 1000) / prefillMs,
      decodeTokensPerSecond: genTokens > 0 ? (genTokens * 1000) / decodeMs : null,
      warmupMs,
    };
  } finally {
    sequence.dispose();
  }
}
