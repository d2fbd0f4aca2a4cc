// A quantized build's token embedding table, stored once and read twice: GatherBlockQuantized looks
// up the input tokens' rows, and a tied output head is MatMulNBits over the same bytes and scales.
// The layouts agree: symmetric 8-bit blocks along the hidden size are GatherBlockQuantized's
// [vocab, hidden] uint8 data and MatMulNBits' [N = vocab, kBlocks, blockSize] B byte for byte (a
// Reshape, folded at load), both take [vocab, kBlocks] scales, and both ops' default zero point for
// 8 bits is 128, where the quantizer puts it. Bits, block and float16 scales: quant-recipe.ts.
import type { F32Tensor } from '../../common/model-spec.ts';
import { weightValues } from '../checkpoint/bf16-weight.ts';
import { emitFloats } from '../gguf/ggml-scales.ts';
import { attr, DataType, type Graph } from '../onnx/graph.ts';
import { quantizeMatMulNBits } from '../quant/matmul-nbits.ts';
import { roundScalesToFloat16, TOKEN_TABLE_BITS, tokenTableBlockSize } from './quant-recipe.ts';

const TABLE_NAME = 'model.embed_tokens';

/** The graph tensors of a quantized token table. */
export interface QuantizedTokenTable {
  /** [vocab, hidden·bits/8] uint8. */
  packed: string;
  /** [vocab, kBlocks] float32 (folded from float16). */
  scales: string;
  vocab: number;
  hidden: number;
  blockSize: number;
}

const tablesByGraph = new WeakMap<Graph, QuantizedTokenTable>();

/** The table emitQuantizedTokenLookup put in `g`, or null. */
export function quantizedTokenTableIn(g: Graph): QuantizedTokenTable | null {
  return tablesByGraph.get(g) ?? null;
}

/** Whether a table of this hidden size can be stored in blocks (else it stays float). */
export function canQuantizeTokenTable(hiddenSize: number): boolean {
  return tokenTableBlockSize(hiddenSize) !== null;
}

/** Quantizes `embed` ([vocab, hidden]; canQuantizeTokenTable) into the graph and looks up `ids`; returns [..., hidden]. */
export function emitQuantizedTokenLookup(g: Graph, embed: F32Tensor, ids: string): string {
  const [vocab, hidden] = embed.shape;
  const blockSize = tokenTableBlockSize(hidden);
  if (blockSize === null) throw new Error(`A token table of hidden size ${hidden} cannot be stored in blocks of 32 or 64; keep it float.`);
  const bits = TOKEN_TABLE_BITS;
  const q = quantizeMatMulNBits(weightValues(embed), vocab, hidden, { bits, blockSize, symmetric: true });
  const table: QuantizedTokenTable = {
    packed: g.initializer(`${TABLE_NAME}.weight_q${bits}`, DataType.UINT8, [vocab, (hidden * bits) / 8], q.packed),
    scales: emitFloats(g, `${TABLE_NAME}.scales`, roundScalesToFloat16(q.scales), vocab, q.kBlocks),
    vocab,
    hidden,
    blockSize,
  };
  tablesByGraph.set(g, table);
  return g.op(
    'GatherBlockQuantized',
    [table.packed, ids, table.scales],
    { gather_axis: attr.int(0), quantize_axis: attr.int(1), block_size: attr.int(blockSize), bits: attr.int(bits) },
    { domain: 'com.microsoft', name: '/model/embed_tokens/GatherBlockQuantized' },
  );
}

/** A tied head over the table: logits [..., vocab] from `hidden` [..., hidden]. */
export function emitTiedQuantizedHead(g: Graph, hidden: string, table: QuantizedTokenTable, accuracyLevel: number): string {
  const bits = TOKEN_TABLE_BITS;
  const kBlocks = table.hidden / table.blockSize;
  const blocks = g.op('Reshape', [table.packed, g.int64s([table.vocab, kBlocks, (table.blockSize * bits) / 8], [3])]);
  return g.op(
    'MatMulNBits',
    [hidden, blocks, table.scales],
    { K: attr.int(table.hidden), N: attr.int(table.vocab), bits: attr.int(bits), block_size: attr.int(table.blockSize), accuracy_level: attr.int(accuracyLevel) },
    { domain: 'com.microsoft', name: '/lm_head/MatMulNBits' },
  );
}
