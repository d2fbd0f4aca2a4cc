// Aggregate decode speed with several generations at once, as the worker serves concurrent
// requests: N sequences of one BatchedDecoder each prefill a random prompt (untimed), then all
// decode greedily together, each loop feeding its next token as generation does, so the decoder
// batches the steps that arrive together. Aggregate tok/s = every stream's decode steps over the
// wall time from the first step to the last stream's end.
import { BatchedDecoder } from '../runtime/batched-decoder.ts';
import type { LoadedModel } from '../runtime/model-session.ts';
import { pickGreedy, randomTokenIds, warmUp } from './speed-benchmark.ts';

export interface ConcurrentStreamsOptions {
  streams: number;
  /** Prompt tokens of each stream (each stream's prompt differs). */
  promptTokens: number;
  /** Decode steps of each stream. */
  genTokens: number;
  seed?: number;
}

export interface ConcurrentStreamsResult {
  streams: number;
  /** Every stream's decode steps per second of wall time, all together. */
  aggregateTokensPerSecond: number;
  /** Each stream's own decode steps per second. */
  perStreamTokensPerSecond: number[];
  decodeMs: number;
  /** Model calls that decoded more than one sequence, and the sequences they decoded. */
  batchedSteps: number;
  batchedTokens: number;
  singleSteps: number;
}

export async function runConcurrentStreamsBenchmark(model: LoadedModel, options: ConcurrentStreamsOptions): Promise<ConcurrentStreamsResult> {
  const { streams, promptTokens, genTokens } = options;
  for (const [name, value] of [['streams', streams], ['prompt', promptTokens], ['decode steps', genTokens]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`The ${name} must be a whole number of at least 1, got ${value}.`);
  }
  const seed = options.seed ?? 1;
  await warmUp(model, promptTokens, undefined, seed);
  const decoder = new BatchedDecoder(model);
  const sequences = Array.from({ length: streams }, () => decoder.openSequence(promptTokens + genTokens));
  try {
    // Prompts one after another, untimed: the figure is the decode steps.
    const firstTokens: number[] = [];
    for (const [index, sequence] of sequences.entries()) {
      firstTokens.push(pickGreedy(await sequence.feed(randomTokenIds(promptTokens, model.spec.vocabSize, seed + 10 * index), 'last')));
    }
    const started = performance.now();
    const perStreamMs = await Promise.all(
      sequences.map(async (sequence, index) => {
        let next = firstTokens[index];
        for (let step = 0; step < genTokens; step++) next = pickGreedy(await sequence.feed([next], 'last'));
        return performance.now() - started;
      }),
    );
    const decodeMs = performance.now() - started;
    return {
      streams,
      aggregateTokensPerSecond: (streams * genTokens * 1000) / decodeMs,
      perStreamTokensPerSecond: perStreamMs.map((ms) => (genTokens * 1000) / ms),
      decodeMs,
      ...decoder.stats,
    };
  } finally {
    for (const sequence of sequences) sequence.dispose();
  }
}
