// How much memory a LoRA fine-tuning job needs, before it starts: pure arithmetic over the
// ModelSpec, as memory-plan.ts does for inference, whose per-precision figures it reuses.
//
//   total = runtime + frozen weights + LoRA (+ AdamW) + activations + logits
//
// - frozen weights: the base as onnxruntime holds it once loaded (residentWeightBytes: fp32
//   MatMul's packed copies, MatMulNBits' layouts at int8/int4, the tied head's table);
// - LoRA: every A and B matrix in float32, as parameters, the graph's feeds and gradient outputs,
//   and AdamW's two moments (LORA_COPIES copies);
// - activations: what the forward keeps for the backward, per row × token per layer, and the
//   reference attention's score matrices [heads, sequence, sequence] per row per layer;
// - logits: the [rows × sequence, vocabulary] float32 tensors of the loss and its gradient.
// The per-token coefficients were measured: `hearth bench --train --shape S --base-dtype D
// --batch B --seq T --json` (see training-memory-plan.test.ts and the README's QLoRA notes).
import type { BaseDtype } from '../../common/contracts/jobs.ts';
import type { ModelSpec } from '../../common/model-spec.ts';
import { formatGb } from './precision-plan.ts';
import { fitsIn, residentWeightBytes, weightBytes } from './memory-plan.ts';

/**
 * The process before the model, with onnxruntime's libraries and thread pools once a training
 * session is open: `hearth bench --train` measured 125 MB before the run, and shakespeare-5m's
 * whole run at 64 tokens peaked at 253 MB.
 */
export const TRAINING_RUNTIME_BYTES = 200 * 1024 * 1024;

/** Float32 copies of each LoRA matrix alive in a step: the parameter, its feed, its gradient, AdamW's m and v, the summed gradient. */
export const LORA_COPIES = 6;
/**
 * Float32 tensors of width hidden + intermediate that a step holds per token per layer: what the
 * forward keeps for the backward and the gradients in flight. Fitted, with the constant below, to
 * peaks measured on shakespeare-5m (fp32 and int4, 64 and 256 tokens) once training processes
 * returned freed tensors to the system (training-allocator.ts); with layers recomputed (the
 * Qwen2.5-0.5B shape) one layer's worth is alive at a time.
 */
export const SAVED_WIDTHS_PER_LAYER = 2.9;
/** Reference attention's [heads, T, T] float32 matrices alive per row per layer (scores, mask, softmax and their gradients). */
export const SAVED_SCORE_MATRICES_PER_LAYER = 4;
/**
 * Over a quantized base, the backward dequantizes one frozen matrix at a time, right before its
 * product (vjp-quantized.ts waits on the gradient's data): float32 copies of the largest layer
 * matrix in flight. (Before, onnxruntime ran every layer's dequantization at the start of the
 * backward: 0.9 GB alive at once on the Qwen2.5-0.5B shape.)
 */
export const DEQUANTIZED_IN_FLIGHT = 2;

function largestLayerMatrix(spec: ModelSpec): number {
  return Math.max(...Object.values(MODULE_SHAPES(spec)).map(([rows, cols]) => rows * cols));
}
/** [rows × T, vocab] float32 tensors alive at the loss's peak (onnxruntime's schedule, profiled: the log-softmax's exp, its gradient and the scattered pick's). */
export const LOGITS_COPIES = 3;

/**
 * Frozen layer-matrix parameters above which a training graph recomputes each decoder layer in
 * the backward (gradient checkpointing, training-graph.ts) unless told otherwise. Measured on the
 * Qwen2.5-0.5B shape (358 M layer parameters; int4 base, 1 × 256 tokens, onnxruntime 1.30): a
 * step's peak RSS 3.3 GB kept, 2.0 GB recomputed, for about a third more compute per step. Small
 * models (shakespeare-5m, 5 M) keep their activations: their peak is the runtime's, not theirs.
 */
export const RECOMPUTE_ABOVE_LAYER_PARAMETERS = 50_000_000;

/** Float32 [rows × T, hidden] tensors per layer a recomputing step keeps: each layer's input, and its output's gradient in flight. */
export const RECOMPUTE_KEPT_WIDTHS_PER_LAYER = 2;

/** The frozen matrices of all decoder layers, in parameters. */
export function layerMatrixParameters(spec: ModelSpec): number {
  return Object.values(MODULE_SHAPES(spec)).reduce((sum, [rows, cols]) => sum + rows * cols, 0) * spec.numLayers;
}

/** Whether a training graph of this model recomputes its layers in the backward by default. */
export function recomputesByDefault(spec: ModelSpec): boolean {
  return layerMatrixParameters(spec) > RECOMPUTE_ABOVE_LAYER_PARAMETERS;
}

export interface TrainingMemoryOptions {
  baseDtype: BaseDtype;
  /** Rows per micro-batch. */
  batch: number;
  /** Tokens per row (the longest row of a batch). */
  sequence: number;
  r: number;
  /** 'all-linear' or module names (q_proj, …): which matrices get LoRA. */
  targets: string | readonly string[];
  /** The process without a model (TRAINING_RUNTIME_BYTES when absent). */
  runtimeBytes?: number;
  /** Whether the graph recomputes its layers in the backward (recomputesByDefault when absent). */
  recompute?: boolean;
}

export interface TrainingMemoryPlan {
  frozenWeightBytes: number;
  /** LoRA matrices with their gradients and AdamW state. */
  loraBytes: number;
  activationBytes: number;
  logitsBytes: number;
  runtimeBytes: number;
  totalBytes: number;
}

const MODULE_SHAPES = (spec: ModelSpec): Record<string, [number, number]> => {
  const { hiddenSize, attention } = spec;
  const { intermediateSize } = spec.mlp;
  const q = attention.numHeads * attention.headDim;
  const kv = attention.numKvHeads * attention.headDim;
  return {
    q_proj: [q, hiddenSize],
    k_proj: [kv, hiddenSize],
    v_proj: [kv, hiddenSize],
    o_proj: [hiddenSize, q],
    gate_proj: [intermediateSize, hiddenSize],
    up_proj: [intermediateSize, hiddenSize],
    down_proj: [hiddenSize, intermediateSize],
  };
};

/** LoRA parameters (A and B of every targeted matrix of every layer) for rank r. */
export function loraParameterCount(spec: ModelSpec, r: number, targets: string | readonly string[]): number {
  const shapes = MODULE_SHAPES(spec);
  const names = targets === 'all-linear' ? Object.keys(shapes) : typeof targets === 'string' ? targets.split(',').map((t) => t.trim()) : targets;
  let perLayer = 0;
  for (const name of names) {
    const shape = shapes[name];
    if (shape) perLayer += r * (shape[0] + shape[1]);
  }
  return perLayer * spec.numLayers;
}

export function planTrainingMemory(spec: ModelSpec, options: TrainingMemoryOptions): TrainingMemoryPlan {
  const { batch, sequence } = options;
  if (!Number.isInteger(batch) || batch < 1 || !Number.isInteger(sequence) || sequence < 1) throw new RangeError(`batch and sequence must be positive whole numbers, not ${batch} and ${sequence}.`);
  const tokens = batch * sequence;
  // The trainer runs int8 as MatMulNBits (training-graph.ts), as GPU builds do.
  const variant = { int8Kernel: 'blockwise', prefillGraph: false } as const;
  // As onnxruntime holds them, and one more copy as stored: a quantized base's blocks stay loaded
  // beside the kernels' packed copies, because the backward dequantizes them (vjp-quantized.ts;
  // onnxruntime folds their reshape into an initializer of its own, 335 MB on the Qwen2.5-0.5B
  // shape at int4); at fp32 the backward's Gemm (dY·W, transB) packs its own copy of each W.
  // Measured on the Qwen2.5-0.5B shape, 1 × 256: fp32 5477 MB, int4 1843 MB. (The recorded
  // graph's own copy on the JavaScript heap is collected before the session opens.)
  const stored = weightBytes(spec, options.baseDtype, variant);
  const quantized = options.baseDtype === 'int8' || options.baseDtype === 'int4';
  const dequantized = quantized ? DEQUANTIZED_IN_FLIGHT * 4 * largestLayerMatrix(spec) : 0;
  const frozenWeightBytes = residentWeightBytes(spec, options.baseDtype, tokens, variant) + stored + dequantized;
  const loraBytes = LORA_COPIES * 4 * loraParameterCount(spec, options.r, options.targets);
  const perTokenPerLayer = 4 * SAVED_WIDTHS_PER_LAYER * (spec.hiddenSize + spec.mlp.intermediateSize);
  const scores = 4 * SAVED_SCORE_MATRICES_PER_LAYER * spec.attention.numHeads * sequence * sequence * batch;
  const oneLayer = tokens * perTokenPerLayer + scores;
  const recompute = options.recompute ?? recomputesByDefault(spec);
  // Recomputing, a step keeps each layer's input and holds one layer's activations at a time.
  const activationBytes = recompute ? spec.numLayers * tokens * 4 * RECOMPUTE_KEPT_WIDTHS_PER_LAYER * spec.hiddenSize + oneLayer : spec.numLayers * oneLayer;
  const logitsBytes = LOGITS_COPIES * 4 * tokens * spec.vocabSize;
  const runtimeBytes = options.runtimeBytes ?? TRAINING_RUNTIME_BYTES;
  return { frozenWeightBytes, loraBytes, activationBytes, logitsBytes, runtimeBytes, totalBytes: frozenWeightBytes + loraBytes + activationBytes + logitsBytes + runtimeBytes };
}

/** A job refused before it starts because its plan does not fit in memory. */
export class TrainingMemoryError extends Error {
  override name = 'TrainingMemoryError';
}

/**
 * Throws TrainingMemoryError, naming what takes the memory and what to change, when the plan does
 * not fit in `availableBytes` with `headroom` (a fraction) left free.
 */
export function checkTrainingFits(plan: TrainingMemoryPlan, options: Pick<TrainingMemoryOptions, 'baseDtype' | 'batch' | 'sequence'>, availableBytes: number, headroom = 0.1): void {
  if (fitsIn(plan, availableBytes, headroom)) return;
  const gb = (bytes: number) => `${formatGb(bytes)} GB`;
  const changes = [
    options.baseDtype !== 'int4' ? '--base-dtype int4 (the frozen base in 4-bit blocks)' : null,
    options.batch > 1 ? `a smaller --batch (with --grad-accum to keep ${options.batch} rows a step)` : null,
    `a shorter --max-length (rows of ${options.sequence} tokens now)`,
  ].filter((change) => change !== null);
  throw new TrainingMemoryError(
    `This fine-tune needs about ${gb(plan.totalBytes)} of memory (frozen ${options.baseDtype} base ${gb(plan.frozenWeightBytes)}, activations ${gb(plan.activationBytes)} and logits ${gb(plan.logitsBytes)} for ${options.batch} × ${options.sequence} tokens, LoRA and AdamW ${gb(plan.loraBytes)}), ` +
      `but ${gb(availableBytes)} is available and ${Math.round(headroom * 100)} % is kept free. Try ${changes.join(', or ')}.`,
  );
}
