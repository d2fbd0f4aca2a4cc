// How much memory a model needs at a precision and context length, before anything is loaded,
// so the app can say "this fits" or pick a smaller precision or context. Pure arithmetic over
// the ModelSpec, in two parts:
// - weightBytes: the weights exactly as the graph builder stores them (hearth.json's
//   weightBytes, byte for byte: memory-plan.test.ts builds models and compares);
// - the process's peak resident memory on the CPU provider: the runtime itself, the weights as
//   onnxruntime holds them once loaded (its kernels' own layouts, memory-mapped tables of which
//   only the touched pages count), the KV cache and a workspace, whose constants the benchmark
//   (`npm run bench`) measured on the 0.5B and narrow shapes.
import type { ModelSpec } from '../../common/model-spec.ts';
import type { AttentionMode, Int8Kernel, Precision } from '../../common/model-manifest.ts';
import { DEFAULT_INT8_KERNEL, EMBEDDING_BITS } from '../builder/build-model.ts';
import { QUANT_BLOCK_SIZE, quantizesActivationsPerToken } from '../builder/linear.ts';
import { isSymmetric, matMulNBitsBits, STORED_SCALE_BYTES, tokenTableBlockSize, usesDynamicInt8 } from '../builder/quant-recipe.ts';

// --- Storage, exactly as the graph builder writes it (main/engine/builder/). -------------------
// The block size, the embedding's bits, the default int8 kernel, which layers quantize per token
// and the int4 recipe (bits, zero points and float16 block scales: builder/quant-recipe.ts) are
// the builder's own; what follows is how they turn into bytes.

/** The int8 kernels' per-channel scales are float32; block scales (MatMulNBits, GatherBlockQuantized) are stored as float16 (STORED_SCALE_BYTES). */
export const QUANT_SCALE_BYTES = 4;
/** Bytes per quantized weight value: int8 one, int4 packed two to a byte. */
export const QUANT_VALUE_BYTES: Record<'int8' | 'int4', number> = { int8: 1, int4: 0.5 };
/**
 * Quantized builds keep the token embedding (a gather, not a matmul) in EMBEDDING_BITS-bit
 * blocks with a float16 scale per block when the hidden size is a multiple of the block (and a
 * tied head reads that table), else in float32.
 */
const QUANTIZED_EMBEDDING_VALUE_BYTES = EMBEDDING_BITS / 8;
/** Norm weights, biases, learned position tables and rotary tables have the graph's float type: float16 in fp16 builds, else float32. */
export const FLOAT_PARAM_BYTES: Record<Precision, number> = { fp32: 4, fp16: 2, int8: 4, int4: 4 };
/** KV cache element size when not given: float32 on CPU, float16 in an fp16 model. */
export const DEFAULT_KV_BYTES: Record<Precision, number> = { fp32: 4, fp16: 2, int8: 4, int4: 4 };
/** The builder's node name of each matrix, the part its per-layer rules look at (linear.ts). */
const BUILDER_LINEAR_NAMES: Record<LinearName, string> = {
  q: 'q_proj',
  k: 'k_proj',
  v: 'v_proj',
  o: 'o_proj',
  gate: 'gate_proj',
  up: 'up_proj',
  down: 'down_proj',
  lmHead: 'lm_head',
};

/** The builder's node name of a matrix in a layer (attention.ts, mlp.ts) or of the head (build-model.ts). */
function builderLinearName(name: LinearName, layer: number): string {
  if (name === 'lmHead') return '/lm_head';
  const block = name === 'gate' || name === 'up' || name === 'down' ? 'mlp' : 'attn';
  return `/model/layers.${layer}/${block}/${BUILDER_LINEAR_NAMES[name]}`;
}

// --- Parameters. --------------------------------------------------------------------------------

export type LinearName = 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down' | 'lmHead';

/** A weight matrix that becomes a MatMul (or its quantized kind): [rows = out, cols = in]. */
export interface LinearShape {
  name: LinearName;
  rows: number;
  cols: number;
  /** How many of them the model has (once per layer for layer weights). */
  count: number;
}

/** Parameters by how they are stored. The tied lm_head is not counted (it is the embedding). */
export interface ParameterBreakdown {
  /** The token embedding table. */
  embedding: number;
  /** Learned absolute position table (GPT-2), 0 otherwise. */
  positionEmbedding: number;
  /** All MatMul weights: attention, MLP and an untied lm_head. */
  linear: number;
  /** Biases of those MatMuls. */
  biases: number;
  /** Norm weights and biases (RMSNorm has no bias). */
  norms: number;
  total: number;
}

/** The matrices the builder turns into MatMul nodes, including lm_head whether tied or not. */
export function linearShapes(spec: ModelSpec): LinearShape[] {
  const { hiddenSize: hidden, numLayers: layers, attention, mlp } = spec;
  const qWidth = attention.numHeads * attention.headDim;
  const kvWidth = attention.numKvHeads * attention.headDim;
  const shapes: LinearShape[] = [
    { name: 'q', rows: qWidth, cols: hidden, count: layers },
    { name: 'k', rows: kvWidth, cols: hidden, count: layers },
    { name: 'v', rows: kvWidth, cols: hidden, count: layers },
    { name: 'o', rows: hidden, cols: qWidth, count: layers },
  ];
  if (mlp.kind === 'gated') shapes.push({ name: 'gate', rows: mlp.intermediateSize, cols: hidden, count: layers });
  shapes.push({ name: 'up', rows: mlp.intermediateSize, cols: hidden, count: layers });
  shapes.push({ name: 'down', rows: hidden, cols: mlp.intermediateSize, count: layers });
  shapes.push({ name: 'lmHead', rows: spec.vocabSize, cols: hidden, count: 1 });
  return shapes;
}

export function parameterBreakdown(spec: ModelSpec): ParameterBreakdown {
  const { hiddenSize: hidden, numLayers: layers, attention, mlp, norm } = spec;
  const qWidth = attention.numHeads * attention.headDim;
  const kvWidth = attention.numKvHeads * attention.headDim;
  const embedding = spec.vocabSize * hidden;
  const positionEmbedding = spec.positions.kind === 'learned' ? spec.positions.maxPositions * hidden : 0;

  let linear = 0;
  for (const shape of linearShapes(spec)) {
    if (shape.name === 'lmHead' && spec.tiedEmbeddings) continue;
    linear += shape.rows * shape.cols * shape.count;
  }

  const attentionBiases = (attention.qkvBias ? qWidth + 2 * kvWidth : 0) + (attention.outBias ? hidden : 0);
  const mlpBiases = mlp.bias ? (mlp.kind === 'gated' ? 2 : 1) * mlp.intermediateSize + hidden : 0;
  const biases = layers * (attentionBiases + mlpBiases);

  const normSize = hidden * (norm.bias && norm.kind === 'layer' ? 2 : 1);
  // Every layer has an attention norm and an MLP norm (parallel residual too); plus the final norm.
  const perLayerNorms = 2 * normSize + (attention.qkNorm ? 2 * attention.headDim : 0);
  const norms = layers * perLayerNorms + normSize + (spec.embeddingNorm ? normSize : 0);

  const total = embedding + positionEmbedding + linear + biases + norms;
  return { embedding, positionEmbedding, linear, biases, norms, total };
}

/** Parameters as Hugging Face counts them: a tied embedding once. */
export function countParameters(spec: ModelSpec): number {
  return parameterBreakdown(spec).total;
}

// --- Bytes of the stored weights. ---------------------------------------------------------------

/** How a build was made, beyond its precision (BuildOptions). */
export interface BuildVariant {
  /** int8 builds, and an int4 build's 8-bit matrices: 'dynamic' (default) or 'blockwise'. Ignored for other precisions. */
  int8Kernel?: Int8Kernel;
  /** int4 builds: the int8 prefill graph (dynamic kernel) beside the int4 one. Ignored for other precisions. */
  prefillGraph?: boolean;
  /** 'fused' (default) or 'reference': only changes a few small graph constants. */
  attention?: AttentionMode;
}

/** How one graph's matrices are stored. */
type LinearKind = 'float' | 'matmul-nbits-int8' | 'matmul-nbits-int4' | 'dynamic-int8';

function linearKind(precision: Precision, int8Kernel: Int8Kernel): LinearKind {
  if (precision === 'int4') return 'matmul-nbits-int4';
  if (precision === 'int8') return int8Kernel === 'dynamic' ? 'dynamic-int8' : 'matmul-nbits-int8';
  return 'float';
}

/**
 * Bytes of one [rows, cols] MatMulNBits weight of `bits` bits: packed values and a float16 scale
 * per block per row, and for an asymmetric one its zero points (4 bits: two to a byte, a row's
 * odd last one padded; 8 bits: a byte each).
 */
export function quantizedLinearBytes(rows: number, cols: number, bits: 4 | 8, symmetric = true): number {
  const blocks = quantBlocks(cols);
  const zeroPoints = symmetric ? 0 : rows * (bits === 4 ? Math.ceil(blocks / 2) : blocks);
  return rows * blocks * ((QUANT_BLOCK_SIZE * bits) / 8 + STORED_SCALE_BYTES) + zeroPoints;
}

/**
 * The bits and symmetry of each stored copy of a matrix in an int4 or blockwise int8 graph (one
 * per layer for layer weights), as the builder picks them; `dynamic`: an 8-bit one stored for the
 * int8 kernel instead (an int4 build for the CPU: quant-recipe.ts usesDynamicInt8).
 */
function matMulNBitsCopies(shape: LinearShape, precision: 'int8' | 'int4', spec: ModelSpec, int8Kernel: Int8Kernel): { bits: 4 | 8; symmetric: boolean; dynamic: boolean }[] {
  return Array.from({ length: shape.count }, (_, layer) => {
    const bits = matMulNBitsBits(precision, builderLinearName(shape.name, layer), spec);
    return { bits, symmetric: isSymmetric(bits), dynamic: precision === 'int4' && usesDynamicInt8(bits, int8Kernel) };
  });
}

/** Bytes of one copy for the dynamic int8 kernel in a graph of `precision`; a matrix whose input is quantized per token (MatMulInteger) stores a one-byte activation zero point beside it. */
function dynamicInt8CopyBytes(shape: LinearShape, precision: 'int8' | 'int4'): number {
  return dynamicInt8LinearBytes(shape.rows, shape.cols) + (quantizesActivationsPerToken(BUILDER_LINEAR_NAMES[shape.name], precision) ? 1 : 0);
}

/** Bytes of one [rows, cols] weight for the dynamic int8 kernel: int8 [cols, rows] and a scale per output channel. */
export function dynamicInt8LinearBytes(rows: number, cols: number): number {
  return rows * cols + rows * QUANT_SCALE_BYTES;
}

function quantBlocks(cols: number): number {
  return Math.ceil(cols / QUANT_BLOCK_SIZE);
}

/** Bytes of every copy of a matrix (shape.count of them). */
function storedLinearBytes(shape: LinearShape, kind: LinearKind, floatBytes: number, spec: ModelSpec, int8Kernel: Int8Kernel): number {
  switch (kind) {
    case 'float':
      return shape.count * shape.rows * shape.cols * floatBytes;
    case 'matmul-nbits-int8':
    case 'matmul-nbits-int4': {
      const copies = matMulNBitsCopies(shape, kind === 'matmul-nbits-int4' ? 'int4' : 'int8', spec, int8Kernel);
      return copies.reduce((sum, { bits, symmetric, dynamic }) => sum + (dynamic ? dynamicInt8CopyBytes(shape, 'int4') : quantizedLinearBytes(shape.rows, shape.cols, bits, symmetric)), 0);
    }
    case 'dynamic-int8':
      return shape.count * dynamicInt8CopyBytes(shape, 'int8');
  }
}

/** Whether a quantized build's tied head reads the block-quantized embedding table rather than storing a copy (build-model.ts emitLogits). */
function headReadsQuantizedTable(spec: ModelSpec, precision: Precision): boolean {
  return spec.tiedEmbeddings && embeddingIsQuantized(spec, precision);
}

/** The block of a token embedding a graph of this precision stores block-quantized (see QUANTIZED_EMBEDDING_VALUE_BYTES), or null where it stays float. */
function quantizedEmbeddingBlock(spec: ModelSpec, precision: Precision): number | null {
  return precision === 'int8' || precision === 'int4' ? tokenTableBlockSize(spec.hiddenSize) : null;
}

function embeddingIsQuantized(spec: ModelSpec, precision: Precision): boolean {
  return quantizedEmbeddingBlock(spec, precision) !== null;
}

/** The token embedding table as stored. */
export function embeddingTableBytes(spec: ModelSpec, precision: Precision): number {
  const values = spec.vocabSize * spec.hiddenSize;
  const block = quantizedEmbeddingBlock(spec, precision);
  if (block !== null) return values * QUANTIZED_EMBEDDING_VALUE_BYTES + spec.vocabSize * (spec.hiddenSize / block) * STORED_SCALE_BYTES;
  return values * FLOAT_PARAM_BYTES[precision];
}

/** The rotary cos and sin tables, [contextLength, rotaryDim / 2] each, in the graph's float type. */
export function rotaryTableBytes(spec: ModelSpec, precision: Precision): number {
  if (spec.positions.kind !== 'rope') return 0;
  return 2 * spec.contextLength * (spec.positions.rotaryDim / 2) * FLOAT_PARAM_BYTES[precision];
}

/**
 * The small constants of one graph (shapes, axes, scalars): each distinct one stored once,
 * as GraphBuilder.int64s/floats do. This mirrors which the builder emits; a few hundred bytes,
 * but it keeps weightBytes exact.
 */
export function graphConstantBytes(spec: ModelSpec, precision: Precision, variant: BuildVariant = {}): number {
  return constantBytes(graphConstants(spec, precision, variant));
}

/** The key under which graphConstants keeps an int64 constant: equal keys are one constant. */
export function int64ConstantKey(dims: readonly number[], values: readonly number[]): string {
  return `int64[${dims.join(',')}]:${values.join(',')}`;
}

/** Bytes of a set of graph constants (graphConstants' values). */
export function constantBytes(constants: ReadonlyMap<string, number>): number {
  return [...constants.values()].reduce((a, b) => a + b, 0);
}

/**
 * graphConstantBytes' constants by key, so a caller can add those of other emitters (a GGUF build
 * kept as downloaded). `tiedFloatHead`: whether the tied head is a Gemm over a float table (it is
 * not when that table is kept in ggml blocks).
 */
export function graphConstants(
  spec: ModelSpec,
  precision: Precision,
  variant: BuildVariant = {},
  { tiedFloatHead = spec.tiedEmbeddings && (precision === 'fp32' || precision === 'fp16') }: { tiedFloatHead?: boolean } = {},
): Map<string, number> {
  const { attention, hiddenSize, vocabSize } = spec;
  const { numHeads, numKvHeads, headDim } = attention;
  const constants = new Map<string, number>();
  const int64s = (dims: number[], ...values: number[]) => constants.set(int64ConstantKey(dims, values), 8 * values.length);
  const floats = (dims: number[], ...values: number[]) => constants.set(`float[${dims.join(',')}]:${values.map(Math.fround).join(',')}`, 4 * values.length);
  const int8Kernel = variant.int8Kernel ?? DEFAULT_INT8_KERNEL;
  const reference = (variant.attention ?? 'fused') === 'reference';

  if (spec.embeddingScale !== null) floats([], spec.embeddingScale);
  // keepLastPositions and the new length: Reshape to [1], Equal 0, Slice to the end step 1, Gather index 1.
  int64s([1], 1);
  int64s([1], 0);
  int64s([1], Number.MAX_SAFE_INTEGER);
  if (tiedFloatHead) {
    int64s([2], -1, hiddenSize);
    int64s([1], vocabSize);
  }
  // A tied head reading the quantized table reshapes its bytes to MatMulNBits' [vocab, kBlocks, blob].
  const tableBlock = quantizedEmbeddingBlock(spec, precision);
  if (spec.tiedEmbeddings && tableBlock !== null) int64s([3], vocabSize, hiddenSize / tableBlock, (tableBlock * EMBEDDING_BITS) / 8);
  if (hasPerTokenInt8(spec, precision, int8Kernel)) {
    // Per-token activation quantization: ReduceMax axes, /127, a floor on the scale, +128, clip to [0, 255].
    int64s([1], -1);
    floats([], 127);
    floats([], 1e-12);
    floats([], 128);
    floats([], 0);
    floats([], 255);
  }
  const toHeads = (heads: number) => int64s([4], 0, 0, heads, headDim);
  const mergeHeads = (heads: number) => int64s([3], 0, 0, heads * headDim);
  if (attention.qkNorm) {
    toHeads(numHeads);
    mergeHeads(numHeads);
    toHeads(numKvHeads);
    mergeHeads(numKvHeads);
  }
  const alibi = spec.positions.kind === 'alibi' ? spec.positions.slopes : null;
  if (alibi) {
    // The ALiBi row: squeeze the total length, range over it, reshape to [1, 1, 1, T], times the slopes.
    int64s([1], 0);
    int64s([], 0);
    int64s([], 1);
    int64s([4], 1, 1, 1, -1);
    floats([1, alibi.length, 1, 1], ...alibi);
  }
  if (!reference) {
    // seqlens_k (ReduceSum axes, minus one) and the total length squeezed to a scalar.
    int64s([], 1);
    int64s([1], 0);
    // ALiBi goes in as an attention bias expanded to [1, heads, new, total].
    if (alibi) int64s([1], numHeads);
    return constants;
  }
  toHeads(numHeads);
  toHeads(numKvHeads);
  mergeHeads(numHeads);
  const group = numHeads / numKvHeads;
  if (group !== 1) {
    int64s([1], 2);
    int64s([5], 1, 1, group, 1, 1);
    int64s([4], 0, numHeads, -1, headDim);
  }
  floats([], attention.scale);
  // The causal mask: key and query slots, the sliding window, padding, 0 or a large negative.
  int64s([], 0);
  int64s([], 1);
  int64s([1], 0);
  int64s([2], 1, -1);
  int64s([2], -1, 1);
  if (attention.slidingWindow !== null) int64s([], attention.slidingWindow);
  int64s([4], 0, 1, 1, -1);
  int64s([2], 0, 1);
  floats([], 0);
  floats([], precision === 'fp16' ? -65000 : -1e9);
  return constants;
}

/** Whether a graph has a matrix whose input the int8 kernel quantizes per token (emitPerTokenInt8): int8's down_proj, an int4 one's 8-bit down_proj or v_proj. */
function hasPerTokenInt8(spec: ModelSpec, precision: Precision, int8Kernel: Int8Kernel): boolean {
  if (int8Kernel !== 'dynamic' || (precision !== 'int8' && precision !== 'int4')) return false;
  return linearShapes(spec).some(
    (shape) =>
      quantizesActivationsPerToken(BUILDER_LINEAR_NAMES[shape.name], precision) &&
      matMulNBitsCopies(shape, precision, spec, int8Kernel).some(({ bits }) => usesDynamicInt8(bits, int8Kernel)),
  );
}

/** The stored weights by what they are; total is what hearth.json's weightBytes holds. */
export interface WeightBreakdown {
  /** Token embedding table (int8 blocks in quantized builds). */
  embedding: number;
  /** Every MatMul weight with its scales, the lm_head included unless it is the float embedding itself. */
  linear: number;
  /** Biases, norms and a learned position table, in the graph's float type. */
  floatParams: number;
  /** Rotary cos/sin tables. */
  rotary: number;
  /** Small graph constants. */
  constants: number;
  /** The int8 prefill graph of an int4 build (all of the above once more, at int8 dynamic), else 0. */
  prefillGraph: number;
  total: number;
}

function graphWeights(spec: ModelSpec, precision: Precision, variant: BuildVariant): Omit<WeightBreakdown, 'prefillGraph' | 'total'> {
  const counts = parameterBreakdown(spec);
  const floatBytes = FLOAT_PARAM_BYTES[precision];
  const int8Kernel = variant.int8Kernel ?? DEFAULT_INT8_KERNEL;
  const kind = linearKind(precision, int8Kernel);
  let linear = 0;
  for (const shape of linearShapes(spec)) {
    // A tied fp32/fp16 head is a Gemm over the embedding table itself; a quantized one reads the
    // quantized table, or stores its own copy where the table could not be blocked.
    if (shape.name === 'lmHead' && spec.tiedEmbeddings && (kind === 'float' || headReadsQuantizedTable(spec, precision))) continue;
    linear += storedLinearBytes(shape, kind, floatBytes, spec, int8Kernel);
  }
  return {
    embedding: embeddingTableBytes(spec, precision),
    linear,
    floatParams: (counts.positionEmbedding + counts.biases + counts.norms) * floatBytes,
    rotary: rotaryTableBytes(spec, precision),
    constants: graphConstantBytes(spec, precision, variant),
  };
}

/** Whether the build has the int8 prefill graph (int4 builds that asked for it). */
function hasPrefillGraph(precision: Precision, variant: BuildVariant): boolean {
  return precision === 'int4' && variant.prefillGraph === true;
}

const PREFILL_GRAPH_VARIANT = { int8Kernel: 'dynamic' } as const;

export function weightBreakdown(spec: ModelSpec, precision: Precision, variant: BuildVariant = {}): WeightBreakdown {
  const main = graphWeights(spec, precision, variant);
  let prefillGraph = 0;
  if (hasPrefillGraph(precision, variant)) {
    const prefill = graphWeights(spec, 'int8', { ...variant, ...PREFILL_GRAPH_VARIANT });
    prefillGraph = prefill.embedding + prefill.linear + prefill.floatParams + prefill.rotary + prefill.constants;
  }
  const total = main.embedding + main.linear + main.floatParams + main.rotary + main.constants + prefillGraph;
  return { ...main, prefillGraph, total };
}

/** Bytes of the weights as stored for a precision: what hearth.json's weightBytes holds. */
export function weightBytes(spec: ModelSpec, precision: Precision, variant: BuildVariant = {}): number {
  return weightBreakdown(spec, precision, variant).total;
}

// --- Weights as onnxruntime holds them. ---------------------------------------------------------
//
// onnxruntime memory-maps the external data file, and at session creation most kernels copy
// their constant weight into their own layout ("pre-packing") and let the mapped original go.
// Measured on the 0.5B shape (onnxruntime-node 1.30, CPU provider, /proc/self/smaps_rollup after
// the session was created):
// - fp32 MatMul: the packed copy is the size of the weight; the original pages are released.
// - A tied fp32/fp16 head: the Gemm packs its own copy of the embedding table, and the Gather
//   keeps the mapped table, which packing read in full: the table is resident twice (+519 MiB).
// - Dynamic int8 (DynamicQuantizeMatMul, MatMulInteger): the packed copy is the int8 weight's
//   size; the per-channel scales stay mapped.
// - MatMulNBits: see MATMUL_NBITS_RESIDENT_BYTES_PER_BLOCK.
// - Gathered tables (a quantized embedding, an untied float one, learned positions, rotary
//   tables) are never packed: only the pages the looked-up rows touch become resident.

/**
 * Resident bytes per block of 32 of a MatMulNBits weight once loaded (accuracy level 4): MLAS's
 * packed layout (the values, a float32 scale and a float32 block sum per block, plus about a
 * byte of padding) and the original float32 scales, which stay mapped and touched. On the 0.5B
 * shape (15.4 M blocks) the session held 25.1 + 4 bytes a block at int4 (16 stored) and
 * 41.2 + 4 at int8 (32 stored); measured, the layout's details are MLAS's.
 */
export const MATMUL_NBITS_RESIDENT_BYTES_PER_BLOCK: Record<'int8' | 'int4', number> = { int4: 29.1, int8: 45.2 };
/**
 * Resident bytes of a [rows, cols] MatMulNBits weight of `bits` bits in blocks of `blockSize`: the
 * values, and per block what MATMUL_NBITS_RESIDENT_BYTES_PER_BLOCK holds beside a block of 32's
 * values (scale, block sum, padding, the float32 scales), for the larger blocks of a token table too.
 */
export function matMulNBitsResidentBytes(rows: number, cols: number, bits: 4 | 8, blockSize: number): number {
  const precision = bits === 4 ? 'int4' : 'int8';
  const perBlock = MATMUL_NBITS_RESIDENT_BYTES_PER_BLOCK[precision] - QUANT_BLOCK_SIZE * QUANT_VALUE_BYTES[precision];
  return rows * Math.ceil(cols / blockSize) * ((blockSize * bits) / 8 + perBlock);
}

/**
 * Resident bytes of a gathered table per token looked up: the kernel touches a row, and the
 * kernel's fault-around maps the 64 KiB window around it, for the values and for the scales.
 * Measured on the 0.5B int8 embedding with random token ids: +105 MiB after 656 lookups.
 */
export const GATHERED_BYTES_PER_TOKEN = 160 * 1024;

/** Bytes of one graph's weights resident after loading and after `tokens` lookups. */
function graphResidentBytes(spec: ModelSpec, precision: Precision, variant: BuildVariant, tokens: number): number {
  const counts = parameterBreakdown(spec);
  const floatBytes = FLOAT_PARAM_BYTES[precision];
  const int8Kernel = variant.int8Kernel ?? DEFAULT_INT8_KERNEL;
  const kind = linearKind(precision, int8Kernel);
  const gathered = (tableBytes: number) => Math.min(tableBytes, tokens * GATHERED_BYTES_PER_TOKEN);
  let linear = 0;
  let embedding = gathered(embeddingTableBytes(spec, precision));
  for (const shape of linearShapes(spec)) {
    if (shape.name === 'lmHead' && spec.tiedEmbeddings && kind === 'float') {
      // The Gemm's packed copy, and the mapped table that packing read in full.
      embedding = 2 * embeddingTableBytes(spec, precision);
      continue;
    }
    if (shape.name === 'lmHead' && headReadsQuantizedTable(spec, precision)) {
      // MatMulNBits' packed copy of the 8-bit table, and the mapped table that packing read in full.
      linear += matMulNBitsResidentBytes(shape.rows, shape.cols, EMBEDDING_BITS, quantizedEmbeddingBlock(spec, precision)!);
      embedding = embeddingTableBytes(spec, precision);
      continue;
    }
    if (kind === 'matmul-nbits-int4' || kind === 'matmul-nbits-int8') {
      for (const { bits, symmetric, dynamic } of matMulNBitsCopies(shape, kind === 'matmul-nbits-int4' ? 'int4' : 'int8', spec, int8Kernel)) {
        // An int8-kernel copy is resident as stored (see above); zero points are read as stored.
        if (dynamic) linear += dynamicInt8CopyBytes(shape, 'int4');
        else linear += matMulNBitsResidentBytes(shape.rows, shape.cols, bits, QUANT_BLOCK_SIZE) + quantizedLinearBytes(shape.rows, shape.cols, bits, symmetric) - quantizedLinearBytes(shape.rows, shape.cols, bits);
      }
    } else {
      linear += storedLinearBytes(shape, kind, floatBytes, spec, int8Kernel);
    }
  }
  const positions = gathered(counts.positionEmbedding * floatBytes);
  const rotary = spec.positions.kind === 'rope' ? Math.min(rotaryTableBytes(spec, precision), 2 * tokens * spec.positions.rotaryDim * floatBytes) : 0;
  return embedding + linear + positions + (counts.biases + counts.norms) * floatBytes + rotary + graphConstantBytes(spec, precision, variant);
}

/**
 * Weights resident in memory once loaded and after `contextTokens` tokens have been looked up:
 * the kernels' packed copies and the touched pages of mapped tables (see above). An int4 build
 * with a prefill graph holds both graphs.
 */
export function residentWeightBytes(spec: ModelSpec, precision: Precision, contextTokens: number, variant: BuildVariant = {}): number {
  let bytes = graphResidentBytes(spec, precision, variant, contextTokens);
  if (hasPrefillGraph(precision, variant)) bytes += graphResidentBytes(spec, 'int8', { ...variant, ...PREFILL_GRAPH_VARIANT }, contextTokens);
  return bytes;
}

// --- KV cache and workspace. --------------------------------------------------------------------

/** K and V for every layer: 2 × layers × kv_heads × head_dim × tokens × batch × element bytes. */
export function kvCacheBytes(spec: ModelSpec, contextTokens: number, bytesPerElement: number, batch = 1): number {
  const { numLayers, attention } = spec;
  return 2 * numLayers * attention.numKvHeads * attention.headDim * contextTokens * batch * bytesPerElement;
}

/**
 * Peak memory of the run besides the runtime, weights and KV cache, modelled from the largest
 * prefill step:
 *
 *   workspace = fixedBytes
 *             + activationBytes × batch × prefillChunkTokens ×
 *                 (hiddenBuffers × hidden + qkvBuffers × (q + k + v widths) + intermediateBuffers × intermediate)
 *             + activationBytes × batch × logitsRows × vocab
 *             + attentionScoresFactor × 4 × batch × heads × prefillChunkTokens × contextTokens
 *
 * The last term is the float32 score matrices [batch, heads, chunk, total length] of reference
 * attention; fused attention (GroupQueryAttention) never holds one.
 */
export interface WorkspaceModel {
  /** Tokens per prefill step: the prompt is fed in chunks of at most this many. */
  prefillChunkTokens: number;
  /** Bytes per activation element; defaults to the KV element size. */
  activationBytes: number;
  /** Hidden-width tensors alive at once (residual, normed input, attention output, MLP output). */
  hiddenBuffers: number;
  /** Copies of the q/k/v projections alive at once (projected, rotated). */
  qkvBuffers: number;
  /** Intermediate-width tensors alive at once (gate, up, their product). */
  intermediateBuffers: number;
  /** Rows of logits per step: 1 when the graph keeps only the last position before lm_head. */
  logitsRows: number;
  /** Score matrices alive at once: REFERENCE_ATTENTION_SCORE_MATRICES for reference attention, 0 for fused. */
  attentionScoresFactor: number;
  /** Arena slack, thread pools and kernel scratch: a constant. */
  fixedBytes: number;
}

/**
 * Score matrices [heads, n, n] alive at the peak of a reference-attention prefill: the MatMul's
 * output, the masked scores and the softmax overlap. Measured on narrow-8k: about 2.5 at 8k
 * tokens (more at 2k-4k, where the arena's rounding weighs more).
 */
export const REFERENCE_ATTENTION_SCORE_MATRICES = 2.5;

/**
 * fixedBytes: what any session holds whatever the model's size (the arena's first chunks, thread
 * pools, the loaded graph and kernel registries). Fitted to the demo model (4.7 M parameters), where
 * nothing else weighs: peaks of 186-199 MiB against a 100 MiB runtime and 5-20 MiB of weights
 * (main/engine/bench/memory-plan-measured-peaks.test.ts). 40 MiB, fitted on the 0.5B shape alone,
 * under-planned every row of both shapes.
 */
export const DEFAULT_WORKSPACE: Omit<WorkspaceModel, 'activationBytes'> = {
  prefillChunkTokens: 512,
  hiddenBuffers: 4,
  qkvBuffers: 2,
  intermediateBuffers: 3,
  logitsRows: 1,
  attentionScoresFactor: 0,
  fixedBytes: 80 * 1024 * 1024,
};

/**
 * The dynamic int8 kernel (MatMulInteger) writes an int32 accumulator beside the float result it
 * is scaled into, so one more intermediate-width tensor is alive in the MLP: at a 4,088-token
 * prefill of the 0.5B shape that is 76 MiB, most of what the plan missed there.
 */
const DYNAMIC_INT8_EXTRA_INTERMEDIATE_BUFFERS = 1;

export function workspaceBytes(spec: ModelSpec, contextTokens: number, model: WorkspaceModel, batch = 1): number {
  const { attention, hiddenSize: hidden, mlp } = spec;
  const chunk = Math.min(model.prefillChunkTokens, contextTokens);
  const qkvWidth = (attention.numHeads + 2 * attention.numKvHeads) * attention.headDim;
  const perToken = model.hiddenBuffers * hidden + model.qkvBuffers * qkvWidth + model.intermediateBuffers * mlp.intermediateSize;
  const activations = model.activationBytes * batch * chunk * perToken;
  const logits = model.activationBytes * batch * model.logitsRows * spec.vocabSize;
  const scores = model.attentionScoresFactor * 4 * batch * attention.numHeads * chunk * contextTokens;
  return model.fixedBytes + activations + logits + scores;
}

/**
 * The process before any model is opened: Node, the app's modules and the onnxruntime library.
 * Measured 84-107 MiB for `hearth bench` (Node 20, tsx, onnxruntime-node 1.30).
 */
export const RUNTIME_BASELINE_BYTES = 100 * 1024 * 1024;

// --- The plan. ----------------------------------------------------------------------------------

export interface MemoryPlan {
  /** Weights as stored on disk (hearth.json's weightBytes). */
  weightBytes: number;
  /** Weights resident once loaded: kernel layouts and touched pages of mapped tables. */
  residentWeightBytes: number;
  kvCacheBytes: number;
  workspaceBytes: number;
  /** The process without a model (RUNTIME_BASELINE_BYTES unless overridden). */
  runtimeBytes: number;
  /** The planned peak: runtime + resident weights + KV cache + workspace. */
  totalBytes: number;
}

/**
 * Where the model runs. 'cpu': the process's resident memory as measured (runtime, packed
 * weights, KV cache, workspace). 'gpu' (WebGPU): the device memory, which holds the weights as
 * stored (int8 builds default to the GPU's 'blockwise' kernel, and the CPU-only prefill graph is
 * not loaded), the KV cache and the workspace; the process itself is not in it.
 */
export type PlanDevice = 'cpu' | 'gpu';

export interface MemoryPlanOptions extends BuildVariant {
  /** 'cpu' when absent. */
  device?: PlanDevice;
  /** KV cache element size; DEFAULT_KV_BYTES[precision] when absent. */
  kvBytesPerElement?: number;
  /** Sequences run together; 1 when absent. */
  batch?: number;
  /** Overrides of the workspace model, e.g. constants the benchmark measured. */
  workspace?: Partial<WorkspaceModel>;
  /** The process without a model; RUNTIME_BASELINE_BYTES on the CPU (0 on the GPU) when absent. */
  runtimeBytes?: number;
}

export function planMemory(spec: ModelSpec, precision: Precision, contextTokens: number, opts: MemoryPlanOptions = {}): MemoryPlan {
  if (!Number.isInteger(contextTokens) || contextTokens <= 0) {
    throw new RangeError(`contextTokens must be a positive whole number, got ${contextTokens}.`);
  }
  const batch = opts.batch ?? 1;
  const kvBytesPerElement = opts.kvBytesPerElement ?? DEFAULT_KV_BYTES[precision];
  const attentionScoresFactor = (opts.attention ?? 'fused') === 'reference' ? REFERENCE_ATTENTION_SCORE_MATRICES : 0;
  const onGpu = opts.device === 'gpu';
  const variant: BuildVariant = onGpu ? { ...opts, int8Kernel: opts.int8Kernel ?? 'blockwise', prefillGraph: false } : opts;
  const prefillKind = linearKind(precision === 'int4' && hasPrefillGraph(precision, variant) ? 'int8' : precision, variant.int8Kernel ?? DEFAULT_INT8_KERNEL);
  const intermediateBuffers = DEFAULT_WORKSPACE.intermediateBuffers + (prefillKind === 'dynamic-int8' ? DYNAMIC_INT8_EXTRA_INTERMEDIATE_BUFFERS : 0);
  const workspaceModel: WorkspaceModel = { ...DEFAULT_WORKSPACE, intermediateBuffers, activationBytes: kvBytesPerElement, attentionScoresFactor, ...opts.workspace };
  const weights = weightBytes(spec, precision, variant);
  const resident = onGpu ? weights : residentWeightBytes(spec, precision, contextTokens * batch, variant);
  const kv = kvCacheBytes(spec, contextTokens, kvBytesPerElement, batch);
  const workspace = workspaceBytes(spec, contextTokens, workspaceModel, batch);
  const runtime = opts.runtimeBytes ?? (onGpu ? 0 : RUNTIME_BASELINE_BYTES);
  return {
    weightBytes: weights,
    residentWeightBytes: resident,
    kvCacheBytes: kv,
    workspaceBytes: workspace,
    runtimeBytes: runtime,
    totalBytes: runtime + resident + kv + workspace,
  };
}

/** Whether the plan fits in availableBytes while leaving `headroom` (a fraction) of it free. */
export function fitsIn(plan: Pick<MemoryPlan, 'totalBytes'>, availableBytes: number, headroom = 0.1): boolean {
  return plan.totalBytes <= availableBytes * (1 - headroom);
}
