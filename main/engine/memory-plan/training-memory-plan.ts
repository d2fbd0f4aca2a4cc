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
import { residentWeightBytes, RUNTIME_BASELINE_BYTES } from './memory-plan.ts';

/** Float32 copies of each LoRA matrix alive in a step: the parameter, its feed, its gradient, AdamW's m and v, the summed gradient. */
export const LORA_COPIES = 6;
/** Hidden-width float32 tensors the forward keeps per token per layer (norms, residuals, attention, q/k/v, LoRA rows). */
export const SAVED_HIDDEN_PER_LAYER = 14;
/** Intermediate-width float32 tensors kept per token per layer (gate, up, activation, product, and their gradients in flight). */
export const SAVED_INTERMEDIATE_PER_LAYER = 5;
/** Reference attention's [heads, T, T] float32 matrices kept per row per layer (scores, masked, softmax). */
export const SAVED_SCORE_MATRICES_PER_LAYER = 3;
/** [rows × T, vocab] float32 tensors alive at the loss's peak (logits, log-softmax, their gradient). */
export const LOGITS_COPIES = 3;

export interface TrainingMemoryOptions {
  baseDtype: BaseDtype;
  /** Rows per micro-batch. */
  batch: number;
  /** Tokens per row (the longest row of a batch). */
  sequence: number;
  r: number;
  /** 'all-linear' or module names (q_proj, …): which matrices get LoRA. */
  targets: string | readonly string[];
  /** The process without a model (RUNTIME_BASELINE_BYTES when absent). */
  runtimeBytes?: number;
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
  const frozenWeightBytes = residentWeightBytes(spec, options.baseDtype, tokens, { int8Kernel: 'blockwise', prefillGraph: false });
  const loraBytes = LORA_COPIES * 4 * loraParameterCount(spec, options.r, options.targets);
  const perTokenPerLayer = 4 * (SAVED_HIDDEN_PER_LAYER * spec.hiddenSize + SAVED_INTERMEDIATE_PER_LAYER * spec.mlp.intermediateSize);
  const scores = 4 * SAVED_SCORE_MATRICES_PER_LAYER * spec.attention.numHeads * sequence * sequence * batch;
  const activationBytes = spec.numLayers * (tokens * perTokenPerLayer + scores);
  const logitsBytes = LOGITS_COPIES * 4 * tokens * spec.vocabSize;
  const runtimeBytes = options.runtimeBytes ?? RUNTIME_BASELINE_BYTES;
  return { frozenWeightBytes, loraBytes, activationBytes, logitsBytes, runtimeBytes, totalBytes: frozenWeightBytes + loraBytes + activationBytes + logitsBytes + runtimeBytes };
}
