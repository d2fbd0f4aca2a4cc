// A token embedding table kept in its ggml blocks: onnxruntime's GatherBlockQuantized dequantizes
// only the gathered rows, (q - zp)·scale per block, from the same levels, scales and uint8 zero
// points that ggmlToMatMulNBits lays out for a [vocab, hidden] weight (its [N, kBlocks, blob] B is
// GatherBlockQuantized's [vocab, hidden·bits/8] data byte for byte). The offset formats' block
// offsets (Q4_1, Q5_1, Q4_K, Q5_K) are gathered beside it as floats and subtracted, each repeated
// over its block; every gathered value is then the file's bit for bit.
import { attr, DataType } from '../onnx/graph.ts';
import type { Graph } from '../onnx/graph.ts';
import { GgmlMatMulNBitsError } from './ggml-matmul-nbits.ts';
import type { GgmlMatMulNBits } from './ggml-matmul-nbits.ts';
import { emitGgmlBlockOffsets, emitGgmlScales } from './ggml-scales.ts';

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
  if (m.zeroPoints) inputs.push(g.initializer(`${name}.zero_points`, DataType.UINT8, [vocab, m.zeroPoints.data.length / vocab], m.zeroPoints.data));
  const rows = g.op(
    'GatherBlockQuantized',
    inputs,
    { gather_axis: attr.int(0), quantize_axis: attr.int(1), block_size: attr.int(m.blockSize), bits: attr.int(m.bits) },
    { domain: 'com.microsoft', name: `${name}/GatherBlockQuantized` },
  );
  if (!m.blockOffsets) return rows;
  // [..., kBlocks] → [..., kBlocks, 1] → [..., kBlocks, blockSize] → [..., hidden]
  const offsetTable = emitGgmlBlockOffsets(g, name, m, vocab);
  const offsets = g.op('Unsqueeze', [g.op('Gather', [offsetTable, ids], { axis: attr.int(0) }), g.int64s([-1])]);
  const idsShape = g.op('Shape', [ids]);
  const expanded = g.op('Expand', [offsets, g.op('Concat', [idsShape, g.int64s([m.kBlocks, m.blockSize])], { axis: attr.int(0) })]);
  const flat = g.op('Reshape', [expanded, g.op('Concat', [idsShape, g.int64s([hidden])], { axis: attr.int(0) })]);
  return g.op('Sub', [rows, flat], {}, { name: `${name}/SubtractBlockOffsets` });
}
