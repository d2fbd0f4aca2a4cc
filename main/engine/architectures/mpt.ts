// MPT (MosaicML), as transformers' port runs it: ALiBi instead of position embeddings, fused
// Wqkv with rows [q; k; v], LayerNorm without bias (no_bias), a plain exact-GELU MLP, tied
// embeddings. The port sizes the MLP 4 × d_model whatever expansion_ratio says, and so does this.
import { z } from 'zod';
import type { ModelSpec } from '../../common/model-spec.ts';
import { mptAlibiSlopes } from './alibi-slopes.ts';
import type { ArchitectureDefinition } from './architecture.ts';
import { fusedQkvWeightLoader, splitStackedRows } from './fused-qkv.ts';
import { ConfigError, unsupported } from './config-error.ts';
import { attentionHeadCount, positiveInt, positiveNumber } from './config-fields.ts';
import { resolveSpecialTokens, specialTokenFields, type GenerationConfig } from './special-tokens.ts';

const configSchema = z.object({
  vocab_size: positiveInt,
  d_model: positiveInt,
  n_heads: attentionHeadCount,
  n_layers: positiveInt,
  max_seq_len: positiveInt.nullish(),
  layer_norm_epsilon: positiveNumber.nullish(),
  no_bias: z.boolean().nullish(),
  logit_scale: z.union([z.number(), z.string()]).nullish(),
  tie_word_embeddings: z.boolean().nullish(),
  attn_config: z
    .object({
      alibi: z.boolean().nullish(),
      alibi_bias_max: positiveNumber.nullish(),
      attn_type: z.string().nullish(),
      clip_qkv: z.number().nullish(),
      qk_ln: z.boolean().nullish(),
      softmax_scale: positiveNumber.nullish(),
    })
    .nullish(),
  ...specialTokenFields,
});
type MptConfig = z.infer<typeof configSchema>;

function toSpec(config: MptConfig, generationConfig: GenerationConfig): ModelSpec {
  const attn = config.attn_config ?? {};
  if (attn.alibi === false) throw unsupported('MPT without ALiBi (attn_config.alibi: false)');
  if ((attn.attn_type ?? 'multihead_attention') !== 'multihead_attention') throw unsupported(`MPT attn_config.attn_type "${attn.attn_type}"`);
  if (attn.clip_qkv) throw unsupported('MPT attn_config.clip_qkv');
  if (attn.qk_ln) throw unsupported('MPT attn_config.qk_ln');
  if (config.logit_scale !== undefined && config.logit_scale !== null) throw unsupported('MPT logit_scale');
  if (config.d_model % config.n_heads !== 0) {
    throw new ConfigError(`config.json: d_model (${config.d_model}) must be a multiple of n_heads (${config.n_heads}).`);
  }
  const headDim = config.d_model / config.n_heads;
  const bias = !(config.no_bias ?? true);
  return {
    architecture: 'mpt',
    vocabSize: config.vocab_size,
    hiddenSize: config.d_model,
    numLayers: config.n_layers,
    contextLength: config.max_seq_len ?? 2048,
    norm: { kind: 'layer', eps: config.layer_norm_epsilon ?? 1e-5, weightOffset: 0, bias },
    positions: { kind: 'alibi', slopes: mptAlibiSlopes(config.n_heads, attn.alibi_bias_max ?? 8) },
    attention: {
      numHeads: config.n_heads,
      numKvHeads: config.n_heads,
      headDim,
      qkvBias: bias,
      outBias: bias,
      qkNorm: false,
      slidingWindow: null,
      scale: attn.softmax_scale ?? 1 / Math.sqrt(headDim),
    },
    mlp: { kind: 'plain', activation: 'gelu', intermediateSize: 4 * config.d_model, bias },
    residual: 'sequential',
    embeddingScale: null,
    embeddingNorm: false,
    tiedEmbeddings: config.tie_word_embeddings ?? true,
    ...resolveSpecialTokens(config, generationConfig),
  };
}

const LAYER_TENSORS: Readonly<Record<string, string>> = {
  'attnNorm.weight': 'norm_1.weight',
  'attnNorm.bias': 'norm_1.bias',
  'o.weight': 'attn.out_proj.weight',
  'o.bias': 'attn.out_proj.bias',
  'mlpNorm.weight': 'norm_2.weight',
  'mlpNorm.bias': 'norm_2.bias',
  'up.weight': 'ffn.up_proj.weight',
  'up.bias': 'ffn.up_proj.bias',
  'down.weight': 'ffn.down_proj.weight',
  'down.bias': 'ffn.down_proj.bias',
};

const loadWeight = fusedQkvWeightLoader({
  prefix: 'transformer',
  lmHeadNames: ['lm_head.weight'],
  globals: { embed: 'wte.weight', 'finalNorm.weight': 'norm_f.weight', 'finalNorm.bias': 'norm_f.bias' },
  layerPath: (layer) => `blocks.${layer}`,
  layers: LAYER_TENSORS,
  // Wqkv's output is chunked into three equal parts: q, k, v.
  fusedQkvName: (kind) => `attn.Wqkv.${kind}`,
  split: splitStackedRows,
});

export const mpt: ArchitectureDefinition<MptConfig> = { modelType: 'mpt', configSchema, toSpec, loadWeight };
