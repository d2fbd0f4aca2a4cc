// The cache as transformers.js keeps it: each call's present.* outputs (past + new tokens)
// become the next call's past_key_values.*. Works with both attention paths and on WebGPU,
// where present.* stays on the GPU as gpu-buffer tensors that are fed back as they are and
// disposed once replaced.
import { Tensor } from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';
import { pastKeyName, pastValueName, presentKeyName, presentValueName } from '../graph-io.ts';
import { ContextFullError, kvTensor } from './kv-cache.ts';
import type { KvCache, KvFeeds, KvFetches, KvLayout } from './kv-cache.ts';

export class GrowingKvCache implements KvCache {
  readonly kind = 'growing';
  readonly capacity: number;
  private readonly layout: KvLayout;
  private validLength = 0;
  private keys: Tensor[] = [];
  private values: Tensor[] = [];

  constructor(layout: KvLayout, capacity: number) {
    this.layout = layout;
    this.capacity = capacity;
    this.reset();
  }

  get length(): number {
    return this.validLength;
  }

  /** Empty pasts [1, kvHeads, 0, headDim], which the graph accepts on the first call. */
  private reset(): void {
    this.disposeTensors();
    this.keys = [];
    this.values = [];
    for (let i = 0; i < this.layout.numLayers; i++) {
      this.keys.push(kvTensor(Tensor, this.layout, 0));
      this.values.push(kvTensor(Tensor, this.layout, 0));
    }
    this.validLength = 0;
  }

  reserve(): void {
    // Each run's present.* outputs are allocated at the size they need.
  }

  addPastFeeds(feeds: KvFeeds): void {
    for (let i = 0; i < this.keys.length; i++) {
      feeds[pastKeyName(i)] = this.keys[i];
      feeds[pastValueName(i)] = this.values[i];
    }
  }

  addPresentFetches(fetches: KvFetches): void {
    for (let i = 0; i < this.keys.length; i++) {
      fetches[presentKeyName(i)] = null;
      fetches[presentValueName(i)] = null;
    }
  }

  commit(outputs: InferenceSession.ReturnType, fed: number): void {
    if (this.validLength + fed > this.capacity) {
      throw new ContextFullError(`The KV cache holds ${this.capacity} tokens; ${this.validLength} + ${fed} do not fit.`);
    }
    const keys: Tensor[] = [];
    const values: Tensor[] = [];
    for (let i = 0; i < this.keys.length; i++) {
      const key = outputs[presentKeyName(i)];
      const value = outputs[presentValueName(i)];
      if (!key || !value) throw new Error(`The model returned no ${presentKeyName(i)}/${presentValueName(i)}; is this a decoder graph built by Hearth?`);
      keys.push(key);
      values.push(value);
    }
    this.disposeTensors();
    this.keys = keys;
    this.values = values;
    this.validLength += fed;
  }

  truncate(length: number): number {
    const target = Math.max(0, Math.min(length, this.validLength));
    if (target === this.validLength) return target;
    if (target === 0 || this.keys[0]?.location !== 'cpu') {
      // GPU tensors cannot be read back or cut here: start again from nothing.
      this.reset();
      return 0;
    }
    this.keys = this.keys.map((tensor) => this.cut(tensor, target));
    this.values = this.values.map((tensor) => this.cut(tensor, target));
    this.validLength = target;
    return target;
  }

  /** The first `tokens` positions of every head of a [1, heads, length, headDim] CPU tensor. */
  private cut(tensor: Tensor, tokens: number): Tensor {
    const { numKvHeads, headDim } = this.layout;
    const out = kvTensor(Tensor, this.layout, tokens);
    const from = tensor.data as Float32Array | Uint16Array;
    const to = out.data as Float32Array | Uint16Array;
    const rowsIn = this.validLength * headDim;
    const rowsOut = tokens * headDim;
    for (let head = 0; head < numKvHeads; head++) {
      to.set(from.subarray(head * rowsIn, head * rowsIn + rowsOut), head * rowsOut);
    }
    return out;
  }

  private disposeTensors(): void {
    for (const tensor of [...this.keys, ...this.values]) {
      if (tensor.location === 'gpu-buffer') tensor.dispose();
    }
  }

  dispose(): void {
    this.disposeTensors();
    this.keys = [];
    this.values = [];
    this.validLength = 0;
  }
}
