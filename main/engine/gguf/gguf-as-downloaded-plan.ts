// The memory of a GGUF file built as downloaded, planned from its tensor table alone (no tensor
// data read), so the quantization dropdown and `hearth plan FILE.gguf` can size the file's own
// precision before the first build. A build as downloaded is a float32 graph (memory-plan.ts's
// fp32 plan) in which the weights that reach the builder as the file stores them are kept: block
// types as MatMulNBits / GatherBlockQuantized (a tied head reading the table), F16 as float16. So
// the plan is the fp32 plan with those weights swapped for what ggml-linear.ts and
// ggml-embedding.ts store for their shapes (their storage functions share the converter's layout
// rules), and the graph constants of those emitters added.
//
// Which weights are kept: a layer matrix (blk.*) or untied output whose [out, in] is one of the
// spec's matrices and which the family does not transpose, and the token embedding. A fused
// q/k/v or gate/up tensor is split into new float32 tensors, which the fp32 plan already counts.
import type { ModelSpec } from '../../common/model-spec.ts';
import { QUANT_BLOCK_SIZE } from '../builder/linear.ts';
import {
  constantBytes,
  GATHERED_BYTES_PER_TOKEN,
  graphConstantBytes,
  graphConstants,
  int64ConstantKey,
  linearShapes,
  MATMUL_NBITS_RESIDENT_BYTES_PER_BLOCK,
  QUANT_VALUE_BYTES,
  residentWeightBytes,
  weightBreakdown,
  type BuildVariant,
} from '../memory-plan/memory-plan.ts';
import { ggmlEmbeddingStorage } from './ggml-embedding.ts';
import { ggmlLinearStorage } from './ggml-linear.ts';
import { ggmlMatMulNBitsShape, isGgmlBlockType, type GgmlMatMulNBitsShape } from './ggml-matmul-nbits.ts';
import type { Int64Constant } from './ggml-scales.ts';
import type { GgmlType } from './ggml-type.ts';
import { GgufCheckpoint } from './gguf-checkpoint.ts';
import { OUTPUT, TOKEN_EMBEDDING } from './gguf-config.ts';
import { openGgufModelSource } from './gguf-model-source.ts';

/** A weight an as-downloaded build keeps as the file stores it: ggml blocks, or F16 (type 1). */
export interface KeptGgufWeight {
  role: 'embedding' | 'linear';
  type: GgmlType;
  /** [rows = out, cols = in]; for the embedding [vocab, hidden]. */
  rows: number;
  cols: number;
}

/** The weights of `checkpoint` an as-downloaded build keeps, from its tensor table. */
export function keptGgufWeights(spec: ModelSpec, checkpoint: GgufCheckpoint): KeptGgufWeight[] {
  const matrices = new Set(linearShapes(spec).map((s) => `${s.rows}x${s.cols}`));
  const kept: KeptGgufWeight[] = [];
  for (const name of checkpoint.tensors.keys()) {
    const info = checkpoint.ggmlTensor(name);
    if (!info || info.dims.length !== 2 || !(isGgmlBlockType(info.type) || info.type === 1)) continue;
    const [cols, rows] = info.dims as [number, number];
    if (info.name === TOKEN_EMBEDDING) kept.push({ role: 'embedding', type: info.type, rows, cols });
    else if ((info.name.startsWith('blk.') || info.name === OUTPUT) && !checkpoint.transposed(name) && matrices.has(`${rows}x${cols}`)) {
      kept.push({ role: 'linear', type: info.type, rows, cols });
    }
  }
  return kept;
}

export interface AsDownloadedWeights {
  /** What the build's hearth.json weightBytes will hold. */
  weightBytes: number;
  /** Weights resident once loaded and after `contextTokens` lookups (memory-plan.ts's model). */
  residentWeightBytes: number;
}

/**
 * Resident bytes per MatMulNBits block beyond its stored levels: MLAS's float32 scale and block
 * sum, padding, and the (folded) float32 scales, from the planner's measured per-block figures.
 */
function packingOverheadPerBlock(bits: 4 | 8): number {
  const precision = bits === 4 ? 'int4' : 'int8';
  return MATMUL_NBITS_RESIDENT_BYTES_PER_BLOCK[precision] - QUANT_BLOCK_SIZE * QUANT_VALUE_BYTES[precision];
}

/** A kept MatMulNBits weight once loaded: the packed layout, its zero points, the folded float32 block offsets. */
function matMulNBitsResidentBytes(shape: GgmlMatMulNBitsShape, rows: number): number {
  const blocks = rows * shape.kBlocks;
  return blocks * (shape.blobSize + packingOverheadPerBlock(shape.bits)) + shape.zeroPointBytes + (shape.blockOffsets ? 4 * blocks : 0);
}

/** The stored and resident weight bytes of the as-downloaded build of a file with these kept weights. */
export function planAsDownloadedWeights(spec: ModelSpec, kept: readonly KeptGgufWeight[], contextTokens: number, variant: BuildVariant = {}): AsDownloadedWeights {
  const fp32 = weightBreakdown(spec, 'fp32', variant);
  const table = kept.find((w) => w.role === 'embedding') ?? null;
  const tableShape = table && isGgmlBlockType(table.type) ? ggmlMatMulNBitsShape(table.type, table.rows, table.cols) : null;
  const tiedTableHead = spec.tiedEmbeddings && tableShape !== null;
  const constants = graphConstants(spec, 'fp32', variant, { tiedFloatHead: spec.tiedEmbeddings && !tiedTableHead });
  const addConstants = (list: Int64Constant[]) => list.forEach(([dims, values]) => constants.set(int64ConstantKey(dims, values), 8 * values.length));

  let stored = fp32.embedding + fp32.linear + fp32.floatParams + fp32.rotary;
  let resident = residentWeightBytes(spec, 'fp32', contextTokens, variant) - graphConstantBytes(spec, 'fp32', variant);
  for (const w of kept) {
    const floatBytes = 4 * w.rows * w.cols;
    if (w.role === 'linear') {
      if (!isGgmlBlockType(w.type)) {
        stored += floatBytes / 2 - floatBytes; // F16 on disk; MatMul packs the folded float32 copy, as in fp32
        continue;
      }
      const shape = ggmlMatMulNBitsShape(w.type, w.rows, w.cols);
      const storage = ggmlLinearStorage(shape, w.rows);
      addConstants(storage.int64Constants);
      stored += storage.bytes - floatBytes;
      resident += matMulNBitsResidentBytes(shape, w.rows) - floatBytes;
      continue;
    }
    // The embedding: the fp32 plan held a float table (twice when a tied Gemm packs it, else the touched pages).
    resident -= spec.tiedEmbeddings ? 2 * floatBytes : Math.min(floatBytes, contextTokens * GATHERED_BYTES_PER_TOKEN);
    if (!tableShape) {
      stored += floatBytes / 2 - floatBytes;
      resident += (spec.tiedEmbeddings ? 2 : 1) * floatBytes; // the Cast is folded to a whole float32 table
      continue;
    }
    const storage = ggmlEmbeddingStorage(tableShape, w.rows, w.cols);
    addConstants(storage.int64Constants);
    stored += storage.bytes - floatBytes;
    // Scales (and block offsets) are folded to float32 [vocab, kBlocks] constants; the levels stay mapped.
    const folded = 4 * w.rows * tableShape.kBlocks * (tableShape.blockOffsets ? 2 : 1);
    const levels = (w.rows * w.cols * tableShape.bits) / 8 + tableShape.zeroPointBytes;
    if (tiedTableHead) {
      // The head's MatMulNBits packs the whole table, reading every page of it.
      addConstants(ggmlLinearStorage(tableShape, w.rows, { table: true }).int64Constants);
      resident += folded + levels + w.rows * tableShape.kBlocks * (tableShape.blobSize + packingOverheadPerBlock(tableShape.bits));
    } else {
      resident += folded + Math.min(levels, contextTokens * GATHERED_BYTES_PER_TOKEN);
    }
  }
  const constantsBytes = constantBytes(constants);
  return { weightBytes: stored + constantsBytes, residentWeightBytes: resident + constantsBytes };
}

/** planAsDownloadedWeights for a GGUF file, reading its header and tensor table. */
export async function planGgufAsDownloaded(path: string, contextTokens: number, variant: BuildVariant = {}): Promise<AsDownloadedWeights & { spec: ModelSpec }> {
  const source = await openGgufModelSource(path);
  try {
    if (!(source.checkpoint instanceof GgufCheckpoint)) throw new Error(`${path} did not open as a GGUF checkpoint.`);
    return { spec: source.spec, ...planAsDownloadedWeights(source.spec, keptGgufWeights(source.spec, source.checkpoint), contextTokens, variant) };
  } finally {
    await source.close();
  }
}
