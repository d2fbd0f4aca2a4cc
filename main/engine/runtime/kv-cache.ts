// The keys and values of the tokens a sequence has already seen, fed back to the graph as
// past_key_values.* each call. Two layouts exist (see graph-io.ts): one pre-allocated buffer
// that GroupQueryAttention writes in place, and a cache that grows by the graph's present.*
// outputs. Both hold exactly one sequence (batch 1).
import type { InferenceSession, Tensor } from 'onnxruntime-node';

export type KvCacheKind = 'shared-buffer' | 'growing';

export type KvFeeds = Record<string, Tensor>;
export type KvFetches = Record<string, Tensor | null>;

export interface KvCache {
  readonly kind: KvCacheKind;
  /** The most tokens the cache can hold. */
  readonly capacity: number;
  /** Tokens whose keys and values are cached. */
  readonly length: number;
  /**
   * Makes room for `total` tokens (cached plus about to be fed) before a run; `total` is at most
   * the capacity. The shared buffer grows its tensors here; the growing cache needs nothing.
   */
  reserve(total: number): void;
  /** Puts the past_key_values.* inputs into a run's feeds. */
  addPastFeeds(feeds: KvFeeds): void;
  /** Puts the present.* outputs into a run's fetches (pre-allocated tensors, or null to let ORT allocate). */
  addPresentFetches(fetches: KvFetches): void;
  /** Takes the present.* outputs of a run that fed `fed` new tokens. */
  commit(outputs: InferenceSession.ReturnType, fed: number): void;
  /**
   * Keeps the first `length` tokens and forgets the rest. Returns how many were kept: a cache
   * that cannot cut its tensors (GPU buffers) keeps none, and the caller feeds them again.
   */
  truncate(length: number): number;
  /** Releases GPU buffers; the cache is unusable afterwards. */
  dispose(): void;
}

/** Shape and element type of every layer's key and value tensors. */
export interface KvLayout {
  numLayers: number;
  numKvHeads: number;
  headDim: number;
  dtype: 'float32' | 'float16';
}

/** A zeroed tensor of `tokens` positions in one layer's layout: [1, kvHeads, tokens, headDim]. */
export function kvTensor(TensorClass: typeof Tensor, layout: KvLayout, tokens: number): Tensor {
  const size = layout.numKvHeads * tokens * layout.headDim;
  const dims = [1, layout.numKvHeads, tokens, layout.headDim];
  // The Node binding takes float16 data as raw 16-bit words.
  return layout.dtype === 'float16' ? new TensorClass('float16', new Uint16Array(size), dims) : new TensorClass('float32', new Float32Array(size), dims);
}

/** Feeding more tokens than the cache (the context in use) can hold. */
export class ContextFullError extends Error {
  override name = 'ContextFullError';
}
