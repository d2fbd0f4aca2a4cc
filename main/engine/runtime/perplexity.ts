// Perplexity over fixed windows of a token stream: window i predicts ids[i·w+1 … (i+1)·w] from
// ids[i·w … (i+1)·w−1], one forward pass per window with every position's logits. The
// log-softmax is taken in float64 so the mean NLL is not limited by float32 summation.
import { computeLogits } from './logits.ts';
import type { LoadedModel } from './model-session.ts';

export interface PerplexityResult {
  /** Mean negative log-likelihood per predicted token, in nats. */
  nll: number;
  perplexity: number;
  tokens: number;
}

export class PerplexityInputError extends Error {
  override name = 'PerplexityInputError';
}

export async function windowedPerplexity(
  model: LoadedModel,
  ids: readonly number[],
  window: number,
  windows: number,
  onWindow?: (done: number, total: number) => void,
): Promise<PerplexityResult> {
  if (!Number.isInteger(window) || window < 1 || !Number.isInteger(windows) || windows < 1) {
    throw new PerplexityInputError(`window (${window}) and windows (${windows}) must be positive integers`);
  }
  const needed = window * windows + 1;
  if (ids.length < needed) {
    throw new PerplexityInputError(`${windows} windows of ${window} tokens need ${needed} token ids, but the tensor has ${ids.length}; use fewer or smaller windows`);
  }
  const vocab = model.spec.vocabSize;
  let total = 0;
  for (let i = 0; i < windows; i++) {
    onWindow?.(i, windows);
    const start = i * window;
    const logits = await computeLogits(model, ids.slice(start, start + window));
    for (let p = 0; p < window; p++) total += negativeLogLikelihood(logits, p * vocab, vocab, ids[start + p + 1]);
  }
  onWindow?.(windows, windows);
  const tokens = window * windows;
  const nll = total / tokens;
  return { nll, perplexity: Math.exp(nll), tokens };
}

function negativeLogLikelihood(logits: Float32Array, offset: number, vocab: number, target: number): number {
  let max = -Infinity;
  for (let v = 0; v < vocab; v++) max = Math.max(max, logits[offset + v]);
  let sum = 0;
  for (let v = 0; v < vocab; v++) sum += Math.exp(logits[offset + v] - max);
  return Math.log(sum) + max - logits[offset + target];
}
