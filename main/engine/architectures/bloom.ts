// BLOOM: ALiBi, a LayerNorm on the embedding output, fused query_key_value whose rows are
// interleaved per head ([head][q, k, v][head_dim], as its view(B, S, heads, 3, head_dim) reads
// them), a tanh-GELU MLP of 4 × hidden, biases everywhere, tied embeddings.
import { z } from 'zod';
import type { ModelSpec } from '../../common/model-spec.ts';
import { bloomAlibiSlopes } from './alibi-slopes.ts';
import type { ArchitectureDefinition } from './architecture.ts';
import { fusedQkvWeightLoader, splitInterleavedHeads } from './fused-qkv.ts';
import { ConfigError, unsupported } from './config-error.ts';
import { attentionHeadCount, positiveInt, positiveNumber } from './config-fields.ts';
import { resolveSpecialTokens, specialTokenFields, type GenerationConfig } from './special-tokens.ts';

// BLOOM configs name the same sizes either way (n_embed / hidden_size, n_layer / num_hidden_layers, …).
const configSchema = z
  .object({
    vocab_size: positiveInt,
    hidden_size: positiveInt.nullish(),
    n_embed: positiveInt.nullish(),
    n_layer: positiveInt.nullish(),
    num_hidden_layers: positiveInt.nullish(),
    n_head: attentionHeadCount.nullish(),
    num_attention_heads: attentionHeadCount.nullish(),
    layer_norm_epsilon: positiveNumber.nullish(),
    apply_residual_connection_post_layernorm: z.boolean().nullish(),
    seq_length: positiveInt.nullish(),
    tie_word_embeddings: z.boolean().nullish(),
    ...specialTokenFields,
  })
  .superRefine((config, ctx) => {
    const pairs: [keyof typeof config, keyof typeof config][] = [
      ['hidden_size', 'n_embed'],
      ['n_layer', 'num_hidden_layers'],
      ['n_head', 'num_attention_heads'],
    ];
    for (const [a, b] of pairs) {
      if (config[a] == null && config[b] == null) ctx.addIssue({ code: 'custom', path: [a], message: `required (or ${b})` });
    }
  });
type BloomConfig = z.infer<typeof configSchema>;

function toSpec(config: BloomConfig, generationConfig: GenerationConfig): ModelSpec {
  // superRefine guarantees one of each pair.
  const hidden = (config.n_embed ?? config.hidden_size) as number;
  const numLayers = (config.n_layer ?? config.num_hidden_layers) as number;
  const numHeads = (config.n_head ?? config.num_attention_heads) as number;
  if (config.apply_residual_connection_post_layernorm) throw unsupported('BLOOM apply_residual_connection_post_layernorm');
  if (hidden % numHeads !== 0) throw new ConfigError(`config.json: hidden size (${hidden}) must be a multiple of n_head (${numHeads}).`);
  const headDim = hidden / numHeads;
  return {
    architecture: 'bloom',
    vocabSize: config.vocab_size,
    hiddenSize: hidden,
    numLayers,
    // ALiBi has no hard limit; BLOOM was trained on 2048-token sequences.
    contextLength: config.seq_length ?? 2048,
    norm: { kind: 'layer', eps: config.layer_norm_epsilon ?? 1e-5, weightOffset: 0, bias: true },
    positions: { kind: 'alibi', slopes: bloomAlibiSlopes(numHeads) },
    attention: { numHeads, numKvHeads: numHeads, headDim, qkvBias: true, outBias: true, qkNorm: false, slidingWindow: null, scale: 1 / Math.sqrt(headDim) },
    mlp: { kind: 'plain', activation: 'gelu_tanh', intermediateSize: 4 * hidden, bias: true },
    residual: 'sequential',
    embeddingScale: null,
    embeddingNorm: true,
    tiedEmbeddings: config.tie_word_embeddings ?? true,
    ...resolveSpecialTokens(config, generationConfig),
  };
}

const GLOBAL_TENSORS: Readonly<Record<string, string>> = {
  embed: 'word_embeddings.weight',
  'embedNorm.weight': 'word_embeddings_layernorm.weight',
  'embedNorm.bias': 'word_embeddings_layernorm.bias',
  'finalNorm.weight': 'ln_f.weight',
  'finalNorm.bias': 'ln_f.bias',
};

const LAYER_TENSORS: Readonly<Record<string, string>> = {
  'attnNorm.weight': 'input_layernorm.weight',
  'attnNorm.bias': 'input_layernorm.bias',
  'o.weight': 'self_attention.dense.weight',
  'o.bias': 'self_attention.dense.bias',
  'mlpNorm.weight': 'post_attention_layernorm.weight',
  'mlpNorm.bias': 'post_attention_layernorm.bias',
  'up.weight': 'mlp.dense_h_to_4h.weight',
  'up.bias': 'mlp.dense_h_to_4h.bias',
  'down.weight': 'mlp.dense_4h_to_h.weight',
  'down.bias': 'mlp.dense_4h_to_h.bias',
};

const loadWeight = fusedQkvWeightLoader({
  prefix: 'transformer',
  lmHeadNames: ['lm_head.weight'],
  globals: GLOBAL_TENSORS,
  layerPath: (layer) => `h.${layer}`,
  layers: LAYER_TENSORS,
  fusedQkvName: (kind) => `self_attention.query_key_value.${kind}`,
  split: splitInterleavedHeads,
});

export const bloom: ArchitectureDefinition<BloomConfig> = { modelType: 'bloom', configSchema, toSpec, loadWeight };
