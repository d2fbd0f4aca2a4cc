// The decoder shared by Llama, Mistral, Qwen2, Qwen3, Gemma and Phi-3: RMSNorm before attention
// and MLP, RoPE, grouped-query attention, gated MLP, tensors named model.layers.N.self_attn.* and
// model.layers.N.mlp.*. Each of those files states only how it differs (biases, q/k norms,
// sliding window, Gemma's norm offset and embedding scale, Phi-3's fused projections).
import { z } from 'zod';
import type { Architecture, F32Tensor, LayerWeight, MlpSpec, ModelSpec, WeightName } from '../../common/model-spec.ts';
import type { Checkpoint } from '../checkpoint/checkpoint.ts';
import { activationFromConfig } from './activation.ts';
import { readPrefixed, readFirst } from './checkpoint-names.ts';
import { ConfigError } from './config-error.ts';
import { positiveInt, positiveNumber } from './config-fields.ts';
import { ropeConfigFields, ropePositions } from './rope-config.ts';
import { resolveSpecialTokens, specialTokenFields, type GenerationConfig } from './special-tokens.ts';
import { expectedWeightShape } from './spec-weights.ts';
import { addScalar, sliceRows } from './tensor-layout.ts';
import { parseWeightName } from './weight-name.ts';

export const llamaFamilyConfigFields = {
  vocab_size: positiveInt,
  hidden_size: positiveInt,
  intermediate_size: positiveInt,
  num_hidden_layers: positiveInt,
  num_attention_heads: positiveInt,
  num_key_value_heads: positiveInt.nullish(),
  head_dim: positiveInt.nullish(),
  max_position_embeddings: positiveInt.nullish(),
  rms_norm_eps: positiveNumber.nullish(),
  hidden_act: z.string().nullish(),
  tie_word_embeddings: z.boolean().nullish(),
  ...ropeConfigFields,
  ...specialTokenFields,
};
export const llamaFamilyConfigSchema = z.object(llamaFamilyConfigFields);
export type LlamaFamilyConfig = z.infer<typeof llamaFamilyConfigSchema>;

/** How one member of the family differs; defaults are transformers' for fields a config may omit. */
export interface LlamaFamilyVariant {
  architecture: Architecture;
  defaults: {
    /** null: hidden_size / num_attention_heads. */
    headDim: number | null;
    maxPositionEmbeddings: number;
    rmsNormEps: number;
    tieWordEmbeddings: boolean;
    hiddenAct: string;
  };
  qkvBias: boolean;
  outBias: boolean;
  mlpBias: boolean;
  qkNorm: boolean;
  slidingWindow: number | null;
  /** Gemma's RMSNorm multiplies by (1 + weight); loadLlamaFamilyWeight adds the 1. */
  normWeightOffset: 0 | 1;
  embeddingScale: number | null;
  /** Overrides hidden_act (Gemma's hidden_activation). */
  activation?: MlpSpec['activation'];
}

export function llamaFamilySpec(config: LlamaFamilyConfig, generationConfig: GenerationConfig, variant: LlamaFamilyVariant): ModelSpec {
  const numHeads = config.num_attention_heads;
  const numKvHeads = config.num_key_value_heads ?? numHeads;
  if (numHeads % numKvHeads !== 0) {
    throw new ConfigError(`config.json: num_attention_heads (${numHeads}) must be a multiple of num_key_value_heads (${numKvHeads}).`);
  }
  const headDim = config.head_dim ?? variant.defaults.headDim ?? Math.floor(config.hidden_size / numHeads);
  const contextLength = config.max_position_embeddings ?? variant.defaults.maxPositionEmbeddings;
  return {
    architecture: variant.architecture,
    vocabSize: config.vocab_size,
    hiddenSize: config.hidden_size,
    numLayers: config.num_hidden_layers,
    contextLength,
    norm: { kind: 'rms', eps: config.rms_norm_eps ?? variant.defaults.rmsNormEps, weightOffset: variant.normWeightOffset, bias: false },
    positions: ropePositions(config, { headDim, maxPositionEmbeddings: contextLength, theta: config.rope_theta ?? 10000, partialRotaryFactor: 1 }),
    attention: {
      numHeads,
      numKvHeads,
      headDim,
      qkvBias: variant.qkvBias,
      outBias: variant.outBias,
      qkNorm: variant.qkNorm,
      slidingWindow: variant.slidingWindow,
      scale: 1 / Math.sqrt(headDim),
    },
    mlp: {
      kind: 'gated',
      activation: variant.activation ?? activationFromConfig(config.hidden_act ?? variant.defaults.hiddenAct, 'hidden_act'),
      intermediateSize: config.intermediate_size,
      bias: variant.mlpBias,
    },
    residual: 'sequential',
    embeddingScale: variant.embeddingScale,
    embeddingNorm: false,
    tiedEmbeddings: config.tie_word_embeddings ?? variant.defaults.tieWordEmbeddings,
    ...resolveSpecialTokens(config, generationConfig),
  };
}

const LAYER_TENSORS: Readonly<Record<LayerWeight, string | null>> = {
  'attnNorm.weight': 'input_layernorm.weight',
  'attnNorm.bias': null,
  'q.weight': 'self_attn.q_proj.weight',
  'q.bias': 'self_attn.q_proj.bias',
  'k.weight': 'self_attn.k_proj.weight',
  'k.bias': 'self_attn.k_proj.bias',
  'v.weight': 'self_attn.v_proj.weight',
  'v.bias': 'self_attn.v_proj.bias',
  'o.weight': 'self_attn.o_proj.weight',
  'o.bias': 'self_attn.o_proj.bias',
  'qNorm.weight': 'self_attn.q_norm.weight',
  'kNorm.weight': 'self_attn.k_norm.weight',
  'mlpNorm.weight': 'post_attention_layernorm.weight',
  'mlpNorm.bias': null,
  'gate.weight': 'mlp.gate_proj.weight',
  'gate.bias': 'mlp.gate_proj.bias',
  'up.weight': 'mlp.up_proj.weight',
  'up.bias': 'mlp.up_proj.bias',
  'down.weight': 'mlp.down_proj.weight',
  'down.bias': 'mlp.down_proj.bias',
};

const NORM_WEIGHTS: ReadonlySet<string> = new Set(['attnNorm.weight', 'mlpNorm.weight', 'finalNorm.weight', 'qNorm.weight', 'kNorm.weight']);

export interface LlamaFamilyLayout {
  /** Phi-3 stores q, k, v as one qkv_proj [q; k; v] and gate, up as one gate_up_proj [gate; up]. */
  fusedProjections: boolean;
}

export async function loadLlamaFamilyWeight(
  name: WeightName,
  checkpoint: Checkpoint,
  spec: ModelSpec,
  layout: LlamaFamilyLayout = { fusedProjections: false },
): Promise<F32Tensor | null> {
  if (expectedWeightShape(spec, name) === null) return null;
  const parsed = parseWeightName(name);
  let tensor: F32Tensor;
  if (parsed.layer === null) {
    if (parsed.weight === 'lmHead') return readFirst(checkpoint, ['lm_head.weight']);
    if (parsed.weight === 'embed') tensor = await readPrefixed(checkpoint, 'model', 'embed_tokens.weight');
    else if (parsed.weight === 'finalNorm.weight') tensor = await readPrefixed(checkpoint, 'model', 'norm.weight');
    else return null;
  } else {
    const layer = `layers.${parsed.layer}`;
    const fused = layout.fusedProjections ? await readFusedPart(checkpoint, layer, parsed.weight, spec) : null;
    const local = LAYER_TENSORS[parsed.weight];
    if (fused) tensor = fused;
    else if (local === null) return null;
    else tensor = await readPrefixed(checkpoint, 'model', `${layer}.${local}`);
  }
  return spec.norm.weightOffset !== 0 && NORM_WEIGHTS.has(parsed.weight) ? addScalar(tensor, spec.norm.weightOffset) : tensor;
}

/** Phi-3: the row block of qkv_proj or gate_up_proj that holds this weight, or null for unfused ones. */
async function readFusedPart(checkpoint: Checkpoint, layer: string, weight: LayerWeight, spec: ModelSpec): Promise<F32Tensor | null> {
  const qRows = spec.attention.numHeads * spec.attention.headDim;
  const kvRows = spec.attention.numKvHeads * spec.attention.headDim;
  const intermediate = spec.mlp.intermediateSize;
  const parts: Partial<Record<LayerWeight, [string, number, number]>> = {
    'q.weight': ['self_attn.qkv_proj.weight', 0, qRows],
    'k.weight': ['self_attn.qkv_proj.weight', qRows, kvRows],
    'v.weight': ['self_attn.qkv_proj.weight', qRows + kvRows, kvRows],
    'gate.weight': ['mlp.gate_up_proj.weight', 0, intermediate],
    'up.weight': ['mlp.gate_up_proj.weight', intermediate, intermediate],
  };
  const part = parts[weight];
  if (!part) return null;
  const [fusedName, start, rows] = part;
  const fused = await readPrefixed(checkpoint, 'model', `${layer}.${fusedName}`);
  const expectedRows = fusedName.includes('qkv') ? qRows + 2 * kvRows : 2 * intermediate;
  // A fused tensor of the wrong size is returned whole, so that the shape check reports it.
  if (fused.shape.length !== 2 || fused.shape[0] !== expectedRows) return fused;
  return sliceRows(fused, start, rows);
}
