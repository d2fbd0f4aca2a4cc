// GPT-NeoX (Pythia, GPT-NeoX-20B, …): LayerNorm with bias, partial RoPE (rotary_pct of each head,
// 0.25 by default), fused query_key_value interleaved per head ([head][q, k, v][head_dim], as
// its view(…, heads, 3 × head_dim) reads them), a plain MLP, and usually a parallel residual.
import { z } from 'zod';
import type { ModelSpec } from '../../common/model-spec.ts';
import { activationFromConfig } from './activation.ts';
import type { ArchitectureDefinition } from './architecture.ts';
import { fusedQkvWeightLoader, splitInterleavedHeads } from './fused-qkv.ts';
import { ConfigError } from './config-error.ts';
import { positiveInt, positiveNumber } from './config-fields.ts';
import { ropeConfigFields, ropePositions } from './rope-config.ts';
import { resolveSpecialTokens, specialTokenFields, type GenerationConfig } from './special-tokens.ts';

const configSchema = z.object({
  vocab_size: positiveInt,
  hidden_size: positiveInt,
  num_hidden_layers: positiveInt,
  num_attention_heads: positiveInt,
  intermediate_size: positiveInt,
  hidden_act: z.string().nullish(),
  max_position_embeddings: positiveInt.nullish(),
  layer_norm_eps: positiveNumber.nullish(),
  use_parallel_residual: z.boolean().nullish(),
  attention_bias: z.boolean().nullish(),
  tie_word_embeddings: z.boolean().nullish(),
  // Names used before transformers 5 moved them into rope_parameters.
  rotary_pct: z.number().gt(0).lte(1).nullish(),
  rotary_emb_base: positiveNumber.nullish(),
  ...ropeConfigFields,
  ...specialTokenFields,
});
type GptNeoxConfig = z.infer<typeof configSchema>;

function toSpec(config: GptNeoxConfig, generationConfig: GenerationConfig): ModelSpec {
  const numHeads = config.num_attention_heads;
  if (config.hidden_size % numHeads !== 0) {
    throw new ConfigError(`config.json: hidden_size (${config.hidden_size}) must be a multiple of num_attention_heads (${numHeads}).`);
  }
  const headDim = config.hidden_size / numHeads;
  const contextLength = config.max_position_embeddings ?? 2048;
  const bias = config.attention_bias ?? true;
  return {
    architecture: 'gpt_neox',
    vocabSize: config.vocab_size,
    hiddenSize: config.hidden_size,
    numLayers: config.num_hidden_layers,
    contextLength,
    norm: { kind: 'layer', eps: config.layer_norm_eps ?? 1e-5, weightOffset: 0, bias: true },
    positions: ropePositions(config, {
      headDim,
      maxPositionEmbeddings: contextLength,
      theta: config.rotary_emb_base ?? config.rope_theta ?? 10000,
      partialRotaryFactor: config.rotary_pct ?? 0.25,
    }),
    attention: { numHeads, numKvHeads: numHeads, headDim, qkvBias: bias, outBias: bias, qkNorm: false, slidingWindow: null, scale: 1 / Math.sqrt(headDim) },
    mlp: { kind: 'plain', activation: activationFromConfig(config.hidden_act ?? 'gelu', 'hidden_act'), intermediateSize: config.intermediate_size, bias: true },
    residual: config.use_parallel_residual ?? true ? 'parallel' : 'sequential',
    embeddingScale: null,
    embeddingNorm: false,
    tiedEmbeddings: config.tie_word_embeddings ?? false,
    ...resolveSpecialTokens(config, generationConfig),
  };
}

const GLOBAL_TENSORS: Readonly<Record<string, string>> = {
  embed: 'embed_in.weight',
  'finalNorm.weight': 'final_layer_norm.weight',
  'finalNorm.bias': 'final_layer_norm.bias',
};

const LAYER_TENSORS: Readonly<Record<string, string>> = {
  'attnNorm.weight': 'input_layernorm.weight',
  'attnNorm.bias': 'input_layernorm.bias',
  'o.weight': 'attention.dense.weight',
  'o.bias': 'attention.dense.bias',
  'mlpNorm.weight': 'post_attention_layernorm.weight',
  'mlpNorm.bias': 'post_attention_layernorm.bias',
  'up.weight': 'mlp.dense_h_to_4h.weight',
  'up.bias': 'mlp.dense_h_to_4h.bias',
  'down.weight': 'mlp.dense_4h_to_h.weight',
  'down.bias': 'mlp.dense_4h_to_h.bias',
};

const loadWeight = fusedQkvWeightLoader({
  prefix: 'gpt_neox',
  // transformers 5 renames the old embed_out to lm_head when loading.
  lmHeadNames: ['embed_out.weight', 'lm_head.weight'],
  globals: GLOBAL_TENSORS,
  layerPath: (layer) => `layers.${layer}`,
  layers: LAYER_TENSORS,
  fusedQkvName: (kind) => `attention.query_key_value.${kind}`,
  split: splitInterleavedHeads,
});

export const gptNeox: ArchitectureDefinition<GptNeoxConfig> = { modelType: 'gpt_neox', configSchema, toSpec, loadWeight };
