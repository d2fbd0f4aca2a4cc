// The float32 scales and block offsets of a weight kept in ggml blocks, stored in the graph at
// about ggml's own size rather than as one float32 per block, and computed back exactly by nodes
// that onnxruntime folds into constants when the session loads (graphOptimizationLevel 'all'), so
// MatMulNBits still sees constant float32 scales and runs as fast:
// - the k-quants' scales are a float16 factor per super-block times a small integer per block
//   (GgmlFactoredScales): the factors are stored and multiplied, an exact product in float32;
// - scales that are all float16 values (Q4_0, Q8_0, Q5_0, Q4_1/Q5_1's d and m: the file's own
//   halves) are stored as float16 and cast;
// - anything else stays float32.
// On the Q4_K_M demo file this is the difference between 1.55× and about 1.2× the file's size.
import { float16BitsToFloat32, float32ToFloat16Bits } from '../checkpoint/float16.ts';
import { attr, DataType } from '../onnx/graph.ts';
import type { Graph } from '../onnx/graph.ts';
import type { GgmlMatMulNBits, GgmlMatMulNBitsShape } from './ggml-matmul-nbits.ts';

/** An int64 constant a graph stores (GraphBuilder.int64s, deduplicated by shape and values): [dims, values]. */
export type Int64Constant = [dims: number[], values: number[]];

/**
 * What emitGgmlScales and emitGgmlBlockOffsets store for a weight of `rows` rows, from its shape
 * alone (the default 'block-offsets' route): the k-quants' float16 factors and int8 multipliers,
 * each with a [rows, kBlocks] shape constant; the other types' scales and offsets are the file's
 * own halves, which emitFloats always stores as float16.
 */
export function ggmlScaleStorage(shape: GgmlMatMulNBitsShape, rows: number): { bytes: number; int64Constants: Int64Constant[] } {
  const arrays = shape.blockOffsets ? 2 : 1;
  const blocks = rows * shape.kBlocks;
  if (shape.factoredGroup === null) return { bytes: arrays * 2 * blocks, int64Constants: [] };
  const factored = 2 * (blocks / shape.factoredGroup) + blocks;
  return { bytes: arrays * factored, int64Constants: [[[2], [rows, shape.kBlocks]]] };
}

/** [rows, kBlocks] float32: the blocks' scales. */
export function emitGgmlScales(g: Graph, name: string, m: GgmlMatMulNBits, rows: number): string {
  const f = m.factored;
  if (f) return emitFactored(g, `${name}.scales`, f.superScales, f.multipliers, f.group, rows, m.kBlocks);
  return emitFloats(g, `${name}.scales`, m.scales, rows, m.kBlocks);
}

/** [rows, kBlocks] float32: the blocks' offsets (m.blockOffsets must be set). */
export function emitGgmlBlockOffsets(g: Graph, name: string, m: GgmlMatMulNBits, rows: number): string {
  if (!m.blockOffsets) throw new Error(`${name} has no block offsets.`);
  const f = m.factored;
  if (f?.superOffsets && f.offsetMultipliers) return emitFactored(g, `${name}.block_offsets`, f.superOffsets, f.offsetMultipliers, f.group, rows, m.kBlocks);
  return emitFloats(g, `${name}.block_offsets`, m.blockOffsets, rows, m.kBlocks);
}

function emitFactored(g: Graph, name: string, factors: Float32Array, multipliers: Int8Array, group: number, rows: number, kBlocks: number): string {
  const superBlocks = kBlocks / group;
  const half = g.initializer(`${name}_super`, DataType.FLOAT16, [rows, superBlocks, 1], float32ToFloat16Bits(factors));
  const small = g.initializer(`${name}_multipliers`, DataType.INT8, [rows, superBlocks, group], multipliers);
  const product = g.op('Mul', [g.op('Cast', [half], { to: attr.int(DataType.FLOAT) }), g.op('Cast', [small], { to: attr.int(DataType.FLOAT) })]);
  return g.op('Reshape', [product, g.int64s([rows, kBlocks], [2])], {}, { name: `${name}/from_factors` });
}

/**
 * [rows, kBlocks] float32 values: stored as float16 and cast back (folded at load) where every
 * value is a float16, else as float32. Also stores the block scales Hearth's own quantized builds
 * round to float16 (builder/quant-recipe.ts).
 */
export function emitFloats(g: Graph, name: string, values: Float32Array, rows: number, kBlocks: number): string {
  const half = float32ToFloat16Bits(values);
  const back = float16BitsToFloat32(half);
  if (back.every((v, i) => Object.is(v, values[i]))) {
    return g.op('Cast', [g.initializer(`${name}_f16`, DataType.FLOAT16, [rows, kBlocks], half)], { to: attr.int(DataType.FLOAT) }, { name: `${name}/from_f16` });
  }
  return g.initializer(name, DataType.FLOAT, [rows, kBlocks], values);
}
