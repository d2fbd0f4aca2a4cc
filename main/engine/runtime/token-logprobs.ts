// The log-probability of a generated token and of the most likely tokens at its position, for
// OpenAI's `logprobs` / `top_logprobs`. They are the model's own distribution (log-softmax of the
// raw logits), before penalties, temperature and truncation, as vLLM and llama.cpp's server
// report them by default: what the model thought of each token, not how the sampler drew it.
import { topKIndices } from './sampler.ts';

export interface TokenLogprob {
  id: number;
  logprob: number;
}

export interface TokenLogprobs {
  /** Of the token that was generated. */
  logprob: number;
  /** The `topCount` most likely tokens at this position, most likely first. */
  top: TokenLogprob[];
}

export function tokenLogprobs(logits: Float32Array, chosen: number, topCount: number): TokenLogprobs {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  const logNormalizer = max + Math.log(sum);
  const logprobOf = (id: number) => logits[id] - logNormalizer;
  const top = topCount > 0 ? Array.from(topKIndices(logits, Math.min(topCount, logits.length)), (id) => ({ id, logprob: logprobOf(id) })) : [];
  return { logprob: logprobOf(chosen), top };
}
