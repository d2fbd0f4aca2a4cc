// Real models' shapes: the benchmark builds them with random weights, so speed is measured at
// a real model's exact sizes without downloading it, and the planners' tests plan them.
import type { ModelSpec } from '../../common/model-spec.ts';

/** Qwen2.5-0.5B: hidden 896, 24 layers, 14/2 heads, FFN 4864, vocab 151936, tied head. */
export const QWEN25_05B: ModelSpec = {
  architecture: 'qwen2',
  vocabSize: 151936,
  hiddenSize: 896,
  numLayers: 24,
  contextLength: 32768,
  norm: { kind: 'rms', eps: 1e-6, weightOffset: 0, bias: false },
  positions: { kind: 'rope', theta: 1_000_000, rotaryDim: 64, scaling: null, frequencyPrecision: 'float32' },
  attention: { numHeads: 14, numKvHeads: 2, headDim: 64, qkvBias: true, outBias: false, qkNorm: false, slidingWindow: null, scale: 1 / 8 },
  mlp: { kind: 'gated', activation: 'silu', intermediateSize: 4864, bias: false },
  residual: 'sequential',
  embeddingScale: null,
  embeddingNorm: false,
  tiedEmbeddings: true,
  bosTokenId: null,
  eosTokenIds: [151643],
  padTokenId: null,
};

/**
 * A narrow model for the attention memory benchmark: few, small layers so the score matrix of
 * reference attention (heads x n x n floats) dominates peak memory at 2k-8k tokens.
 */
export const NARROW_LONG_CONTEXT: ModelSpec = {
  ...QWEN25_05B,
  vocabSize: 512,
  hiddenSize: 256,
  numLayers: 2,
  contextLength: 8192,
  // Rotary over the whole (smaller) head, as Qwen does: ORT rejects a rotary width above head_size.
  positions: { kind: 'rope', theta: 1_000_000, rotaryDim: 32, scaling: null, frequencyPrecision: 'float32' },
  attention: { ...QWEN25_05B.attention, numHeads: 8, numKvHeads: 2, headDim: 32, scale: 1 / Math.sqrt(32) },
  mlp: { ...QWEN25_05B.mlp, intermediateSize: 512 },
  eosTokenIds: [],
};

export const BENCHMARK_SHAPES: Record<string, ModelSpec> = {
  'qwen2.5-0.5b': QWEN25_05B,
  'narrow-8k': NARROW_LONG_CONTEXT,
};
