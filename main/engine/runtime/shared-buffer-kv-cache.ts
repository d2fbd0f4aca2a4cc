// One pre-allocated [1, kvHeads, slots, headDim] buffer per layer and per key/value, bound
// both as the past_key_values.* input and as the present.* output, so GroupQueryAttention
// appends each call's keys and values in place: no per-step allocation and no copy of the
// whole cache by the graph. The valid length is told to the graph by the attention mask's width.
// Needs fused attention (the reference path concatenates) and CPU memory (ORT's IO binding in
// Node cannot take pre-allocated GPU outputs).
//
// The buffers hold as many slots as the tokens need, rounded up to GROWTH_STEP_TOKENS, not the
// whole context: a decode step costs time in proportion to the slots, used or not. onnxruntime's
// CPU attention works over the buffer's length, and onnxruntime-node copies every pre-allocated
// output back into a new JS buffer after each run. Measured on the Qwen2.5-0.5B shape at int4
// (1 thread, a 512-token prompt, process CPU time per decode step, Xeon with AVX-512): 51 ms
// with 640 slots, 87 ms with 4096 (the default context). Growing copies the cached tokens once
// per GROWTH_STEP_TOKENS new ones.
import { Tensor } from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';
import { pastKeyName, pastValueName, presentKeyName, presentValueName } from '../graph-io.ts';
import { ContextFullError, kvTensor } from './kv-cache.ts';
import type { KvCache, KvFeeds, KvFetches, KvLayout } from './kv-cache.ts';

/** Slots are added in multiples of this many tokens (never past the capacity). */
export const GROWTH_STEP_TOKENS = 128;

export class SharedBufferKvCache implements KvCache {
  readonly kind = 'shared-buffer';
  readonly capacity: number;
  private readonly layout: KvLayout;
  private validLength = 0;
  /** Token slots each buffer has now: at least the valid length, at most the capacity. */
  private allocatedSlots = 0;
  private keys: Tensor[] = [];
  private values: Tensor[] = [];

  constructor(layout: KvLayout, capacity: number) {
    this.layout = layout;
    this.capacity = capacity;
    this.reserve(Math.min(capacity, GROWTH_STEP_TOKENS));
  }

  get length(): number {
    return this.validLength;
  }

  /** Token slots in each buffer now (what a run attends over). */
  get slots(): number {
    return this.allocatedSlots;
  }

  reserve(total: number): void {
    if (total <= this.allocatedSlots) return;
    if (total > this.capacity) {
      throw new ContextFullError(`The KV cache holds ${this.capacity} tokens; ${total} do not fit.`);
    }
    const slots = Math.min(this.capacity, Math.ceil(total / GROWTH_STEP_TOKENS) * GROWTH_STEP_TOKENS);
    const grow = (tensor: Tensor | undefined) => {
      const grown = kvTensor(Tensor, this.layout, slots);
      if (tensor && this.validLength > 0) this.copyValid(tensor, grown, slots);
      return grown;
    };
    const keys: Tensor[] = [];
    const values: Tensor[] = [];
    for (let i = 0; i < this.layout.numLayers; i++) {
      keys.push(grow(this.keys[i]));
      values.push(grow(this.values[i]));
    }
    this.keys = keys;
    this.values = values;
    this.allocatedSlots = slots;
  }

  /** Copies every head's valid positions from a buffer of allocatedSlots slots into one of `slots`. */
  private copyValid(from: Tensor, to: Tensor, slots: number): void {
    const { numKvHeads, headDim } = this.layout;
    const source = from.data as Float32Array | Uint16Array;
    const target = to.data as Float32Array | Uint16Array;
    const used = this.validLength * headDim;
    for (let head = 0; head < numKvHeads; head++) {
      const at = head * this.allocatedSlots * headDim;
      target.set(source.subarray(at, at + used), head * slots * headDim);
    }
  }

  addPastFeeds(feeds: KvFeeds): void {
    for (let i = 0; i < this.keys.length; i++) {
      feeds[pastKeyName(i)] = this.keys[i];
      feeds[pastValueName(i)] = this.values[i];
    }
  }

  addPresentFetches(fetches: KvFetches): void {
    for (let i = 0; i < this.keys.length; i++) {
      fetches[presentKeyName(i)] = this.keys[i];
      fetches[presentValueName(i)] = this.values[i];
    }
  }

  commit(_outputs: InferenceSession.ReturnType, fed: number): void {
    if (this.validLength + fed > this.allocatedSlots) {
      throw new ContextFullError(`The KV cache has ${this.allocatedSlots} slots (of ${this.capacity}); ${this.validLength} + ${fed} do not fit.`);
    }
    this.validLength += fed;
  }

  truncate(length: number): number {
    // Slots past the valid length are never read (the mask width bounds attention) and the
    // next call overwrites them.
    this.validLength = Math.max(0, Math.min(length, this.validLength));
    return this.validLength;
  }

  dispose(): void {
    this.keys = [];
    this.values = [];
    this.validLength = 0;
    this.allocatedSlots = 0;
  }
}
