// Values derived once from the graph inputs and shared by every layer: sequence lengths for
// GroupQueryAttention, the rotary tables, the ALiBi bias and the reference path's mask.
// Each is created on first use so that a graph only contains what its architecture needs.
import { attr, DataType } from '../onnx/graph.ts';
import { ATTENTION_MASK, INPUT_IDS, POSITION_IDS } from '../graph-io.ts';
import type { BuildContext } from './build-context.ts';
import { rotaryCosSin } from './rotary-cache.ts';

export class SharedValues {
  private readonly cache = new Map<string, string>();

  constructor(private readonly ctx: BuildContext) {}

  private once(key: string, make: () => string): string {
    let value = this.cache.get(key);
    if (value === undefined) {
      value = make();
      this.cache.set(key, value);
    }
    return value;
  }

  /** [1] int64: tokens fed this call. */
  get newLength(): string {
    const { g } = this.ctx;
    return this.once('S', () => g.op('Gather', [g.op('Shape', [INPUT_IDS]), g.int64s([1], [1])], { axis: attr.int(0) }));
  }

  /** [1] int64: past plus new tokens (the attention mask's width). */
  get totalLength(): string {
    const { g } = this.ctx;
    return this.once('T', () => g.op('Gather', [g.op('Shape', [ATTENTION_MASK]), g.int64s([1], [1])], { axis: attr.int(0) }));
  }

  /** int32 [batch]: valid tokens per row minus one, as GroupQueryAttention wants. */
  get seqlensK(): string {
    const { g } = this.ctx;
    return this.once('seqlens_k', () => {
      const sum = g.op('ReduceSum', [ATTENTION_MASK, g.int64s([1], [1])], { keepdims: attr.int(0) });
      const minusOne = g.op('Sub', [sum, g.int64s([1], [])]);
      return g.op('Cast', [minusOne], { to: attr.int(DataType.INT32) }, { name: '/attention/seqlens_k' });
    });
  }

  /** int32 scalar: the attention mask's width. */
  get totalSequenceLength(): string {
    const { g } = this.ctx;
    return this.once('total_seq_len', () => {
      const scalar = g.op('Squeeze', [this.totalLength, g.int64s([0], [1])]);
      return g.op('Cast', [scalar], { to: attr.int(DataType.INT32) }, { name: '/attention/total_seq_len' });
    });
  }

  get positionIds(): string {
    return POSITION_IDS;
  }

  /** cos and sin tables [maxPositions, rotaryDim/2]. */
  get rotary(): { cos: string; sin: string } {
    const { spec } = this.ctx;
    if (spec.positions.kind !== 'rope') throw new Error('rotary tables requested for a model without RoPE');
    const positions = spec.positions;
    const cos = this.once('cos', () => {
      const tables = rotaryCosSin(positions, spec.contextLength);
      this.cache.set('sin', this.ctx.floatInitializer('rotary.sin_cache', [spec.contextLength, positions.rotaryDim / 2], tables.sin));
      return this.ctx.floatInitializer('rotary.cos_cache', [spec.contextLength, positions.rotaryDim / 2], tables.cos);
    });
    return { cos, sin: this.cache.get('sin')! };
  }

  /** ALiBi bias slope_h * key_index, [1, heads, 1, total]; softmax ignores the per-row offset that distinguishes BLOOM's and MPT's forms. */
  get alibiRow(): string {
    const { g, spec } = this.ctx;
    if (spec.positions.kind !== 'alibi') throw new Error('ALiBi requested for a model without ALiBi');
    const slopes = spec.positions.slopes;
    return this.once('alibi_row', () => {
      const total = g.op('Squeeze', [this.totalLength, g.int64s([0], [1])]);
      const keys = g.op('Cast', [g.op('Range', [g.int64s([0], []), total, g.int64s([1], [])])], { to: attr.int(DataType.FLOAT) });
      const keyRow = g.op('Reshape', [keys, g.int64s([1, 1, 1, -1], [4])]);
      const slopeColumn = g.floats(slopes, [1, slopes.length, 1, 1]);
      const bias = g.op('Mul', [slopeColumn, keyRow], {}, { name: '/attention/alibi' });
      return this.ctx.floatType === DataType.FLOAT ? bias : g.op('Cast', [bias], { to: attr.int(this.ctx.floatType) });
    });
  }

  /** ALiBi expanded to [1, heads, new, total], the shape GroupQueryAttention's attention_bias takes. */
  get alibiBias(): string {
    const { g, spec } = this.ctx;
    return this.once('alibi_bias', () => {
      const shape = g.op('Concat', [g.int64s([1], [1]), g.int64s([spec.attention.numHeads], [1]), this.newLength, this.totalLength], { axis: attr.int(0) });
      return g.op('Expand', [this.alibiRow, shape], {}, { name: '/attention/alibi_bias' });
    });
  }

  /**
   * The reference path's additive mask [batch, 1, new, total]: 0 where a query may attend a
   * key (causal, inside the sliding window, key not padding), a large negative elsewhere.
   * Query s sits at absolute slot (total - new + s) of the cache.
   */
  get referenceMask(): string {
    const { g, spec } = this.ctx;
    return this.once('reference_mask', () => {
      const zero = g.int64s([0], []);
      const one = g.int64s([1], []);
      const total = g.op('Squeeze', [this.totalLength, g.int64s([0], [1])]);
      const fresh = g.op('Squeeze', [this.newLength, g.int64s([0], [1])]);
      const past = g.op('Sub', [total, fresh]);
      const keySlots = g.op('Reshape', [g.op('Range', [zero, total, one]), g.int64s([1, -1], [2])]); // [1, T]
      const querySlots = g.op('Reshape', [g.op('Range', [past, total, one]), g.int64s([-1, 1], [2])]); // [S, 1]
      let allowed = g.op('LessOrEqual', [keySlots, querySlots]); // [S, T]
      if (spec.attention.slidingWindow !== null) {
        const distance = g.op('Sub', [querySlots, keySlots]);
        allowed = g.op('And', [allowed, g.op('Less', [distance, g.int64s([spec.attention.slidingWindow], [])])]);
      }
      const notPadding = g.op('Reshape', [g.op('Cast', [ATTENTION_MASK], { to: attr.int(DataType.BOOL) }), g.int64s([0, 1, 1, -1], [4])]);
      const both = g.op('And', [g.op('Unsqueeze', [allowed, g.int64s([0, 1], [2])]), notPadding]); // [B,1,S,T]
      const blocked = this.ctx.floatType === DataType.FLOAT ? -1e9 : -65000;
      return g.op('Where', [both, this.ctx.floatConstant([0], []), this.ctx.floatConstant([blocked], [])], {}, { name: '/attention/reference_mask' });
    });
  }
}
