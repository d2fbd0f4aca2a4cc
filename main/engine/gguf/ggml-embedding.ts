// A token embedding table kept in its ggml blocks: onnxruntime's GatherBlockQuantized dequantizes
// only the gathered rows, (q - zp)·scale per block, from the same levels, scales and uint8 zero
// points that ggmlToMatMulNBits lays out for a [vocab, hidden] weight (its [N, kBlocks, blob] B is
// GatherBlockQuantized's [vocab, hidden·bits/8] data byte for byte). The offset formats' block
// offsets (Q4_1, Q5_1, Q4_K, Q5_K) are gathered beside it as floats and subtracted, each repeated
// over its block; every gathered value is then the file's bit for bit.
import { attr, DataType } from '../onnx/graph.ts';
import type { Graph } from '../onnx/graph.ts';
import { GgmlMatMulNBitsError } from './ggml-matmul-nbits.ts';
import type { GgmlMatMulNBits, GgmlMatMulNBitsShape } from './ggml-matmul-nbits.ts';
import { emitGgmlBlockOffsets, emitGgmlScales, ggmlScaleStorage } from './ggml-scales.ts';
import type { Int64Constant } from './ggml-scales.ts';

/**
 * The graph tensors of a table kept in ggml blocks: a tied output head reads the same ones
 * (emitGgmlMatMulNBits' `table`) rather than storing the blocks a second time.
 */
export interface GgmlTableTensors {
  /** [vocab, hidden·bits/8] uint8. */
  packed: string;
  /** [vocab, kBlocks] float32. */
  scales: string;
  zeroPoints: string | null;
  /** [vocab, kBlocks] float32, or null. */
  blockOffsets: string | null;
}

const tablesByGraph = new WeakMap<Graph, Map<string, GgmlTableTensors>>();

/** The tensors of the table emitGgmlEmbedding put in `g` under `name`, or null. */
export function ggmlTableIn(g: Graph, name: string): GgmlTableTensors | null {
  return tablesByGraph.get(g)?.get(name) ?? null;
}

/** Emits the lookup of `ids` ([...]) in a [vocab, hidden] table kept in ggml blocks; returns [..., hidden]. */
export function emitGgmlEmbedding(g: Graph, ids: string, name: string, m: GgmlMatMulNBits, vocab: number, hidden: number): string {
  if (m.zeroPoints?.type === 'float') {
    throw new GgmlMatMulNBitsError(`${name}: GatherBlockQuantized takes no float zero points; lay the table out with block offsets.`);
  }
  const inputs = [
    g.initializer(`${name}.weight_q${m.bits}`, DataType.UINT8, [vocab, (hidden * m.bits) / 8], m.packed),
    ids,
    emitGgmlScales(g, name, m, vocab),
  ];
  const zeroPoints = m.zeroPoints ? g.initializer(`${name}.zero_points`, DataType.UINT8, [vocab, m.zeroPoints.data.length / vocab], m.zeroPoints.data) : null;
  if (zeroPoints) inputs.push(zeroPoints);
  const table: GgmlTableTensors = { packed: inputs[0], scales: inputs[2], zeroPoints, blockOffsets: null };
  if (!tablesByGraph.has(g)) tablesByGraph.set(g, new Map());
  tablesByGraph.get(g)!.set(name, table);
  const rows = g.op(
    'GatherBlockQuantized',
    inputs,
    { gather_axis: attr.int(0), quantize_axis: attr.int(1), block_size: attr.int(m.blockSize), bits: attr.int(m.bits) },
    { domain: 'com.microsoft', name: `${name}/GatherBlockQuantized` },
  );
  if (!m.blockOffsets) return rows;
  // [..., kBlocks] → [..., kBlocks, 1] → [..., kBlocks, blockSize] → [..., hidden]
  const offsetTable = emitGgmlBlockOffsets(g, name, m, vocab);
  table.blockOffsets = offsetTable;
  const offsets = g.op('Unsqueeze', [g.op('Gather', [offsetTable, ids], { axis: attr.int(0) }), g.int64s([-1])]);
  const idsShape = g.op('Shape', [ids]);
  const expanded = g.op('Expand', [offsets, g.op('Concat', [idsShape, g.int64s([m.kBlocks, m.blockSize])], { axis: attr.int(0) })]);
  const flat = g.op('Reshape', [expanded, g.op('Concat', [idsShape, g.int64s([hidden])], { axis: attr.int(0) })]);
  return g.op('Sub', [rows, flat], {}, { name: `${name}/SubtractBlockOffsets` });
}

/**
 * What emitGgmlEmbedding stores for a [vocab, hidden] table of this shape, without its blocks (the
 * memory planner's view): levels, scales, zero points and block offsets, and the int64 constants
 * of its nodes.
 */
export function ggmlEmbeddingStorage(shape: GgmlMatMulNBitsShape, vocab: number, hidden: number): { bytes: number; int64Constants: Int64Constant[] } {
  const scales = ggmlScaleStorage(shape, vocab);
  const int64Constants = [...scales.int64Constants];
  // The offsets' Unsqueeze [-1], Expand to [.., kBlocks, blockSize], Reshape to [.., hidden].
  if (shape.blockOffsets) int64Constants.push([[1], [-1]], [[2], [shape.kBlocks, shape.blockSize]], [[1], [hidden]]);
  return { bytes: (vocab * hidden * shape.bits) / 8 + scales.bytes + shape.zeroPointBytes, int64Constants };
}
