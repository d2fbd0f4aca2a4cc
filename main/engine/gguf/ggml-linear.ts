// A linear layer y = x·Wᵀ whose W comes straight from ggml blocks (ggmlToMatMulNBits): one
// MatMulNBits node, and for the offset formats in the 'block-offsets' route the offsets applied
// beside it: every weight of block b in output row n is s·q - t[n][b], so
//   y[n] = Σ_k x[k]·s·q[n][k] - Σ_b t[n][b]·(Σ_{k in b} x[k]),
// the second sum being a [.., kBlocks] × [kBlocks, N] MatMul on the block sums of x. The block sums
// of one input are computed once however many layers read it (q/k/v, gate/up).
import { attr, DataType } from '../onnx/graph.ts';
import type { Graph } from '../onnx/graph.ts';
import type { GgmlMatMulNBits, GgmlMatMulNBitsShape } from './ggml-matmul-nbits.ts';
import { emitGgmlBlockOffsets, emitGgmlScales, ggmlScaleStorage } from './ggml-scales.ts';
import type { Int64Constant } from './ggml-scales.ts';
import type { GgmlTableTensors } from './ggml-embedding.ts';

/** Per graph: the block sums already emitted, by input name and block size. */
const blockSumsByGraph = new WeakMap<Graph, Map<string, string>>();

/** x [..., K] → [..., K / blockSize]: the sum of each block of x along its last axis. */
function blockSums(g: Graph, x: string, kBlocks: number, blockSize: number): string {
  let cache = blockSumsByGraph.get(g);
  if (!cache) blockSumsByGraph.set(g, (cache = new Map()));
  const key = `${x}\u0000${blockSize}`;
  const known = cache.get(key);
  if (known) return known;
  // [..., K] → [..., kBlocks, blockSize], whatever the rank of x.
  const leading = g.op('Slice', [g.op('Shape', [x]), g.int64s([0]), g.int64s([-1])]);
  const shape = g.op('Concat', [leading, g.int64s([kBlocks, blockSize])], { axis: attr.int(0) });
  const sums = g.op('ReduceSum', [g.op('Reshape', [x, shape]), g.int64s([-1])], { keepdims: attr.int(0) });
  cache.set(key, sums);
  return sums;
}

/**
 * Emits y = x·Wᵀ for a [N outputs, K inputs] weight kept in its ggml blocks. Scales and float zero
 * points are float32 (a float32 graph); scales and offsets are stored as ggml-scales.ts says. Hearth's CPU builds use accuracy_level 4 (CPU_ACCURACY_LEVEL).
 */
export function emitGgmlMatMulNBits(
  g: Graph,
  x: string,
  name: string,
  m: GgmlMatMulNBits,
  N: number,
  K: number,
  accuracyLevel: number,
  /** The same blocks already in the graph as a GatherBlockQuantized table (a tied output head): read, not stored again. */
  table: GgmlTableTensors | null = null,
): string {
  const inputs = table
    ? [x, g.op('Reshape', [table.packed, g.int64s([N, m.kBlocks, m.blobSize], [3])]), table.scales]
    : [x, g.initializer(`${name}.weight_q${m.bits}`, DataType.UINT8, [N, m.kBlocks, m.blobSize], m.packed), emitGgmlScales(g, name, m, N)];
  if (table?.zeroPoints) inputs.push(table.zeroPoints);
  else if (m.zeroPoints?.type === 'float') inputs.push(g.initializer(`${name}.zero_points`, DataType.FLOAT, [N, m.kBlocks], m.zeroPoints.data));
  else if (m.zeroPoints?.type === 'uint8') inputs.push(g.initializer(`${name}.zero_points`, DataType.UINT8, [N, m.zeroPoints.data.length / N], m.zeroPoints.data));
  const y = g.op(
    'MatMulNBits',
    inputs,
    { K: attr.int(K), N: attr.int(N), bits: attr.int(m.bits), block_size: attr.int(m.blockSize), accuracy_level: attr.int(accuracyLevel) },
    { domain: 'com.microsoft', name: `${name}/MatMulNBits` },
  );
  if (!m.blockOffsets) return y;
  const offsets = g.op('Transpose', [table?.blockOffsets ?? emitGgmlBlockOffsets(g, name, m, N)], { perm: attr.ints([1, 0]) });
  const correction = g.op('MatMul', [blockSums(g, x, m.kBlocks, m.blockSize), offsets], {}, { name: `${name}/BlockOffsets` });
  return g.op('Sub', [y, correction], {}, { name: `${name}/SubtractBlockOffsets` });
}

/**
 * What emitGgmlMatMulNBits stores for a [N, K] weight of this shape, without its blocks (the memory
 * planner's view): the packed levels, scales, zero points and block offsets, or, reading a
 * GatherBlockQuantized `table` (a tied head), only the shape constant of its Reshape; and the int64
 * constants of its nodes, the block sums' among them.
 */
export function ggmlLinearStorage(shape: GgmlMatMulNBitsShape, N: number, { table = false }: { table?: boolean } = {}): { bytes: number; int64Constants: Int64Constant[] } {
  const { kBlocks, blockSize, blobSize } = shape;
  const int64Constants: Int64Constant[] = [];
  let bytes = 0;
  if (table) {
    int64Constants.push([[3], [N, kBlocks, blobSize]]);
  } else {
    const scales = ggmlScaleStorage(shape, N);
    bytes = N * kBlocks * blobSize + scales.bytes + shape.zeroPointBytes + (shape.floatZeroPoints ? 4 * N * kBlocks : 0);
    int64Constants.push(...scales.int64Constants);
  }
  // blockSums: Slice(Shape(x), [0], [-1]), Concat(.., [kBlocks, blockSize]), ReduceSum over [-1].
  if (shape.blockOffsets) int64Constants.push([[1], [0]], [[1], [-1]], [[2], [kBlocks, blockSize]]);
  return { bytes, int64Constants };
}
