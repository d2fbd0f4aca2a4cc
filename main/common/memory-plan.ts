// How much memory a model needs at a precision and context length, before anything is loaded,
// so the app can say "this fits" or pick a smaller precision or context. Pure arithmetic over
// the ModelSpec: weights as the builder stores them, the KV cache, and a workspace estimate
// whose constants the benchmark calibrates.
import type { ModelSpec } from './model-spec.ts';
import type { Precision } from './model-manifest.ts';

// --- Storage assumptions. Align these with the graph builder and quantizer. ---------------------

/** Block size of MatMulNBits quantization (genai and transformers.js default). */
export const QUANT_BLOCK_SIZE = 32;
/** MatMulNBits scales have the type of its input A: float32 on CPU. Symmetric, so no zero points stored. */
export const QUANT_SCALE_BYTES = 4;
/** Bytes per quantized weight value: MatMulNBits packs int4 two to a byte. */
export const QUANT_VALUE_BYTES: Record<'int8' | 'int4', number> = { int8: 1, int4: 0.5 };
/** The embedding table (a Gather, not a MatMul) is not quantized: float32, or float16 in an fp16 model. */
export const EMBEDDING_BYTES: Record<Precision, number> = { fp32: 4, fp16: 2, int8: 4, int4: 4 };
/** Norm weights, biases and learned position tables stay in the graph's float type. */
export const FLOAT_PARAM_BYTES: Record<Precision, number> = { fp32: 4, fp16: 2, int8: 4, int4: 4 };
/** A tied lm_head in a float model reuses the embedding initializer: no second copy. */
export const TIED_FLOAT_LM_HEAD_IS_SHARED = true;
/** A tied lm_head in an int8/int4 model is its own MatMulNBits copy beside the float embedding table. */
export const TIED_QUANTIZED_LM_HEAD_IS_SEPARATE = true;
/** KV cache element size when not given: float32 on CPU, float16 in an fp16 model. */
export const DEFAULT_KV_BYTES: Record<Precision, number> = { fp32: 4, fp16: 2, int8: 4, int4: 4 };

// --- Workspace model. ---------------------------------------------------------------------------

/**
 * Peak memory of the run besides weights and KV cache, modelled from the largest prefill step:
 *
 *   workspace = fixedBytes
 *             + activationBytes × batch × prefillChunkTokens ×
 *                 (hiddenBuffers × hidden + qkvBuffers × (q + k + v widths) + intermediateBuffers × intermediate)
 *             + activationBytes × batch × logitsRows × vocab
 *             + attentionScoresFactor × 4 × batch × heads × prefillChunkTokens × contextTokens
 *
 * The last term is the attention probabilities ORT's CPU GroupQueryAttention materializes
 * (float32, [batch, heads, chunk, total length]). The constants are first guesses; the benchmark
 * measures peak RSS and fits them.
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
  /** 1 when attention probabilities are materialized in float32, 0 for a kernel that streams them. */
  attentionScoresFactor: number;
  /** ORT session, arena slack, thread pools, tokenizer and the JS heap: a constant. */
  fixedBytes: number;
}

export const DEFAULT_WORKSPACE: Omit<WorkspaceModel, 'activationBytes'> = {
  prefillChunkTokens: 512,
  hiddenBuffers: 4,
  qkvBuffers: 2,
  intermediateBuffers: 3,
  logitsRows: 1,
  attentionScoresFactor: 1,
  fixedBytes: 64 * 1024 * 1024,
};

// --- Parameters. --------------------------------------------------------------------------------

/** A weight matrix that becomes a MatMul (and MatMulNBits when quantized): [rows = out, cols = in]. */
export interface LinearShape {
  name: string;
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
  /** Norm weights and biases. */
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

  const normSize = hidden * (norm.bias ? 2 : 1);
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

// --- Bytes. -------------------------------------------------------------------------------------

/** Bytes of one [rows, cols] MatMulNBits weight: packed values plus one scale per block per row. */
export function quantizedLinearBytes(rows: number, cols: number, precision: 'int8' | 'int4'): number {
  const blocks = Math.ceil(cols / QUANT_BLOCK_SIZE);
  const blobBytes = (QUANT_BLOCK_SIZE * QUANT_VALUE_BYTES[precision]);
  return rows * blocks * (blobBytes + QUANT_SCALE_BYTES);
}

/** Bytes of the weights as stored for a precision (what hearth.json's weightBytes should hold). */
export function weightBytes(spec: ModelSpec, precision: Precision): number {
  const counts = parameterBreakdown(spec);
  const floatBytes = FLOAT_PARAM_BYTES[precision];
  const tables = counts.embedding * EMBEDDING_BYTES[precision] + counts.positionEmbedding * floatBytes;
  const small = (counts.biases + counts.norms) * floatBytes;
  if (precision === 'fp32' || precision === 'fp16') {
    const extraHead = spec.tiedEmbeddings && !TIED_FLOAT_LM_HEAD_IS_SHARED ? spec.vocabSize * spec.hiddenSize * floatBytes : 0;
    return tables + counts.linear * floatBytes + extraHead + small;
  }
  let linear = 0;
  for (const shape of linearShapes(spec)) {
    if (shape.name === 'lmHead' && spec.tiedEmbeddings && !TIED_QUANTIZED_LM_HEAD_IS_SEPARATE) continue;
    linear += shape.count * quantizedLinearBytes(shape.rows, shape.cols, precision);
  }
  return tables + linear + small;
}

/** K and V for every layer: 2 × layers × kv_heads × head_dim × tokens × batch × element bytes. */
export function kvCacheBytes(spec: ModelSpec, contextTokens: number, bytesPerElement: number, batch = 1): number {
  const { numLayers, attention } = spec;
  return 2 * numLayers * attention.numKvHeads * attention.headDim * contextTokens * batch * bytesPerElement;
}

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

// --- The plan. ----------------------------------------------------------------------------------

export interface MemoryPlan {
  weightBytes: number;
  kvCacheBytes: number;
  workspaceBytes: number;
  totalBytes: number;
}

export interface MemoryPlanOptions {
  /** KV cache element size; DEFAULT_KV_BYTES[precision] when absent. */
  kvBytesPerElement?: number;
  /** Sequences run together; 1 when absent. */
  batch?: number;
  /** Overrides of the workspace model, e.g. constants the benchmark measured. */
  workspace?: Partial<WorkspaceModel>;
}

export function planMemory(spec: ModelSpec, precision: Precision, contextTokens: number, opts: MemoryPlanOptions = {}): MemoryPlan {
  if (!Number.isInteger(contextTokens) || contextTokens <= 0) {
    throw new RangeError(`contextTokens must be a positive whole number, got ${contextTokens}.`);
  }
  const batch = opts.batch ?? 1;
  const kvBytesPerElement = opts.kvBytesPerElement ?? DEFAULT_KV_BYTES[precision];
  const workspaceModel: WorkspaceModel = { ...DEFAULT_WORKSPACE, activationBytes: kvBytesPerElement, ...opts.workspace };
  const weights = weightBytes(spec, precision);
  const kv = kvCacheBytes(spec, contextTokens, kvBytesPerElement, batch);
  const workspace = workspaceBytes(spec, contextTokens, workspaceModel, batch);
  return { weightBytes: weights, kvCacheBytes: kv, workspaceBytes: workspace, totalBytes: weights + kv + workspace };
}

/** Whether the plan fits in availableBytes while leaving `headroom` (a fraction) of it free. */
export function fitsIn(plan: MemoryPlan, availableBytes: number, headroom = 0.1): boolean {
  return plan.totalBytes <= availableBytes * (1 - headroom);
}
