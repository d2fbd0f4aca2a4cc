// The KV cache of a decode batch: per layer one [rows, kvHeads, slots, headDim] key and value
// tensor, bound as both past_key_values.* and present.* so GroupQueryAttention appends each
// row's new token in place at that row's own length (seqlens_k from the right-padded mask).
// Row b belongs to one sequence; its valid positions are copied in from the sequence's own
// (batch 1) shared-buffer cache when it joins, and back out when it leaves, so a sequence
// decoding alone never pays for a batch. The slots grow in GROWTH_STEP_TOKENS steps, as the
// single-sequence cache does, because a step costs time in proportion to them.
import { Tensor } from 'onnxruntime-node';
import { pastKeyName, pastValueName, presentKeyName, presentValueName } from '../graph-io.ts';
import type { KvCache, KvFeeds, KvFetches, KvLayout } from './kv-cache.ts';
import { GROWTH_STEP_TOKENS } from './shared-buffer-kv-cache.ts';

/** Where a row's keys and values come from when the batch is laid out again. */
export type RowSource = { kind: 'batch'; row: number } | { kind: 'cache'; cache: KvCache };

export interface RowPlan {
  source: RowSource;
  /** Valid tokens of the row. */
  length: number;
}

export class BatchKvRows {
  private readonly layout: KvLayout;
  private keys: Tensor[] = [];
  private values: Tensor[] = [];
  private rowCount = 0;
  private slotCount = 0;

  constructor(layout: KvLayout) {
    this.layout = layout;
  }

  get rows(): number {
    return this.rowCount;
  }

  get slots(): number {
    return this.slotCount;
  }

  /**
   * Lays the batch out again with these rows, in this order, each with room for `needed` tokens:
   * new tensors, each row's valid positions copied from the old batch or from its own cache.
   */
  relayout(plan: readonly RowPlan[], needed: number, capacity: number): void {
    const slots = Math.min(capacity, Math.ceil(needed / GROWTH_STEP_TOKENS) * GROWTH_STEP_TOKENS);
    const keys: Tensor[] = [];
    const values: Tensor[] = [];
    for (let layer = 0; layer < this.layout.numLayers; layer++) {
      keys.push(this.tensor(plan.length, slots));
      values.push(this.tensor(plan.length, slots));
    }
    plan.forEach((row, index) => {
      const source = row.source;
      if (source.kind === 'batch') {
        for (let layer = 0; layer < this.layout.numLayers; layer++) {
          this.copyRow(this.keys[layer], source.row, this.slotCount, keys[layer], index, slots, row.length);
          this.copyRow(this.values[layer], source.row, this.slotCount, values[layer], index, slots, row.length);
        }
        return;
      }
      const feeds: KvFeeds = {};
      source.cache.addPastFeeds(feeds);
      for (let layer = 0; layer < this.layout.numLayers; layer++) {
        const key = feeds[pastKeyName(layer)];
        const value = feeds[pastValueName(layer)];
        this.copyRow(key, 0, key.dims[2], keys[layer], index, slots, row.length);
        this.copyRow(value, 0, value.dims[2], values[layer], index, slots, row.length);
      }
    });
    this.keys = keys;
    this.values = values;
    this.rowCount = plan.length;
    this.slotCount = slots;
  }

  /** Copies a row's first `length` positions back into its sequence's own cache, which holds `cached` of them now. */
  copyOut(row: number, length: number, cache: KvCache): void {
    cache.truncate(0);
    cache.reserve(length);
    const feeds: KvFeeds = {};
    cache.addPastFeeds(feeds);
    for (let layer = 0; layer < this.layout.numLayers; layer++) {
      const key = feeds[pastKeyName(layer)];
      const value = feeds[pastValueName(layer)];
      this.copyRow(this.keys[layer], row, this.slotCount, key, 0, key.dims[2], length);
      this.copyRow(this.values[layer], row, this.slotCount, value, 0, value.dims[2], length);
    }
    cache.commit({}, length);
  }

  addPastFeeds(feeds: KvFeeds): void {
    for (let layer = 0; layer < this.keys.length; layer++) {
      feeds[pastKeyName(layer)] = this.keys[layer];
      feeds[pastValueName(layer)] = this.values[layer];
    }
  }

  addPresentFetches(fetches: KvFetches): void {
    for (let layer = 0; layer < this.keys.length; layer++) {
      fetches[presentKeyName(layer)] = this.keys[layer];
      fetches[presentValueName(layer)] = this.values[layer];
    }
  }

  clear(): void {
    this.keys = [];
    this.values = [];
    this.rowCount = 0;
    this.slotCount = 0;
  }

  private tensor(rows: number, slots: number): Tensor {
    const { numKvHeads, headDim, dtype } = this.layout;
    const size = rows * numKvHeads * slots * headDim;
    const dims = [rows, numKvHeads, slots, headDim];
    return dtype === 'float16' ? new Tensor('float16', new Uint16Array(size), dims) : new Tensor('float32', new Float32Array(size), dims);
  }

  /** Every head's first `length` positions of row `fromRow` (of `fromSlots` slots) into row `toRow` (of `toSlots`). */
  private copyRow(from: Tensor, fromRow: number, fromSlots: number, to: Tensor, toRow: number, toSlots: number, length: number): void {
    const { numKvHeads, headDim } = this.layout;
    const source = from.data as Float32Array | Uint16Array;
    const target = to.data as Float32Array | Uint16Array;
    const used = length * headDim;
    for (let head = 0; head < numKvHeads; head++) {
      const at = (fromRow * numKvHeads + head) * fromSlots * headDim;
      target.set(source.subarray(at, at + used), (toRow * numKvHeads + head) * toSlots * headDim);
    }
  }
}
