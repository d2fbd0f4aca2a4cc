// One pre-allocated [1, kvHeads, capacity, headDim] buffer per layer and per key/value, bound
// both as the past_key_values.* input and as the present.* output, so GroupQueryAttention
// appends each call's keys and values in place: no per-step allocation and no copy of the
// whole cache. The valid length is told to the graph by the attention mask's width. Needs
// fused attention (the reference path concatenates) and CPU memory (ORT's IO binding in Node
// cannot take pre-allocated GPU outputs).
import { Tensor } from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';
import { pastKeyName, pastValueName, presentKeyName, presentValueName } from '../graph-io.ts';
import { ContextFullError, kvTensor } from './kv-cache.ts';
import type { KvCache, KvFeeds, KvFetches, KvLayout } from './kv-cache.ts';

export class SharedBufferKvCache implements KvCache {
  readonly kind = 'shared-buffer';
  readonly capacity: number;
  private validLength = 0;
  private readonly keys: Tensor[] = [];
  private readonly values: Tensor[] = [];

  constructor(layout: KvLayout, capacity: number) {
    this.capacity = capacity;
    for (let i = 0; i < layout.numLayers; i++) {
      this.keys.push(kvTensor(Tensor, layout, capacity));
      this.values.push(kvTensor(Tensor, layout, capacity));
    }
  }

  get length(): number {
    return this.validLength;
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
    if (this.validLength + fed > this.capacity) {
      throw new ContextFullError(`The KV cache holds ${this.capacity} tokens; ${this.validLength} + ${fed} do not fit.`);
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
    this.keys.length = 0;
    this.values.length = 0;
    this.validLength = 0;
  }
}
