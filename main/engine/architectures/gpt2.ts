// GPT-2: learned absolute position embeddings (wpe), LayerNorm with bias, Conv1D layers whose
// weights are stored [in, out] (transposed here to [out, in]), c_attn fusing [q; k; v] along its
// output, a tanh-GELU MLP, tied embeddings.
import { z } from 'zod';
import type { F32Tensor, ModelSpec } from '../../common/model-spec.ts';
import { activationFromConfig } from './activation.ts';
import type { ArchitectureDefinition } from './architecture.ts';
import { fusedQkvWeightLoader, type QkvPart } from './fused-qkv.ts';
import { ConfigError, unsupported } from './config-error.ts';
import { positiveInt, positiveNumber } from './config-fields.ts';
import { resolveSpecialTokens, specialTokenFields, type GenerationConfig } from './special-tokens.ts';
import { sliceColumns, sliceRows, transpose2d } from './tensor-layout.ts';

const configSchema = z.object({
  vocab_size: positiveInt,
  n_embd: positiveInt,
  n_head: positiveInt,
  n_layer: positiveInt,
  n_positions: positiveInt,
  n_inner: positiveInt.nullish(),
  activation_function: z.string().nullish(),
  layer_norm_epsilon: positiveNumber.nullish(),
  scale_attn_weights: z.boolean().nullish(),
  scale_attn_by_inverse_layer_idx: z.boolean().nullish(),
  tie_word_embeddings: z.boolean().nullish(),
  ...specialTokenFields,
});
type Gpt2Config = z.infer<typeof configSchema>;

function toSpec(config: Gpt2Config, generationConfig: GenerationConfig): ModelSpec {
  if (config.scale_attn_by_inverse_layer_idx) throw unsupported('GPT-2 scale_attn_by_inverse_layer_idx');
  if (config.n_embd % config.n_head !== 0) {
    throw new ConfigError(`config.json: n_embd (${config.n_embd}) must be a multiple of n_head (${config.n_head}).`);
  }
  const headDim = config.n_embd / config.n_head;
  return {
    architecture: 'gpt2',
    vocabSize: config.vocab_size,
    hiddenSize: config.n_embd,
    numLayers: config.n_layer,
    contextLength: config.n_positions,
    norm: { kind: 'layer', eps: config.layer_norm_epsilon ?? 1e-5, weightOffset: 0, bias: true },
    positions: { kind: 'learned', maxPositions: config.n_positions },
    attention: {
      numHeads: config.n_head,
      numKvHeads: config.n_head,
      headDim,
      qkvBias: true,
      outBias: true,
      qkNorm: false,
      slidingWindow: null,
      scale: config.scale_attn_weights ?? true ? 1 / Math.sqrt(headDim) : 1,
    },
    mlp: {
      kind: 'plain',
      activation: activationFromConfig(config.activation_function ?? 'gelu_new', 'activation_function'),
      intermediateSize: config.n_inner ?? 4 * config.n_embd,
      bias: true,
    },
    residual: 'sequential',
    embeddingScale: null,
    embeddingNorm: false,
    tiedEmbeddings: config.tie_word_embeddings ?? true,
    ...resolveSpecialTokens(config, generationConfig),
  };
}

const GLOBAL_TENSORS: Readonly<Record<string, string>> = {
  embed: 'wte.weight',
  positionEmbed: 'wpe.weight',
  'finalNorm.weight': 'ln_f.weight',
  'finalNorm.bias': 'ln_f.bias',
};

/** Layer tensors; Conv1D weights (the 2-D ones) are transposed from [in, out]. */
const LAYER_TENSORS: Readonly<Record<string, string>> = {
  'attnNorm.weight': 'ln_1.weight',
  'attnNorm.bias': 'ln_1.bias',
  'o.weight': 'attn.c_proj.weight',
  'o.bias': 'attn.c_proj.bias',
  'mlpNorm.weight': 'ln_2.weight',
  'mlpNorm.bias': 'ln_2.bias',
  'up.weight': 'mlp.c_fc.weight',
  'up.bias': 'mlp.c_fc.bias',
  'down.weight': 'mlp.c_proj.weight',
  'down.bias': 'mlp.c_proj.bias',
};

/** c_attn is a Conv1D of [in, 3·out]: q, k or v is a band of its columns (or of its bias), transposed. */
function splitConv1dColumns(fused: F32Tensor, part: QkvPart, spec: ModelSpec): F32Tensor {
  const size = spec.hiddenSize;
  if (part.kind === 'bias') return fused.shape[0] === 3 * size ? sliceRows(fused, part.index * size, size) : fused;
  return fused.shape.length === 2 && fused.shape[1] === 3 * size ? transpose2d(sliceColumns(fused, part.index * size, size)) : fused;
}

const loadWeight = fusedQkvWeightLoader({
  prefix: 'transformer',
  lmHeadNames: ['lm_head.weight'],
  globals: GLOBAL_TENSORS,
  layerPath: (layer) => `h.${layer}`,
  layers: LAYER_TENSORS,
  fusedQkvName: (kind) => `attn.c_attn.${kind}`,
  split: splitConv1dColumns,
  adaptLayerTensor: (tensor) => (tensor.shape.length === 2 ? transpose2d(tensor) : tensor),
});

export const gpt2: ArchitectureDefinition<Gpt2Config> = { modelType: 'gpt2', configSchema, toSpec, loadWeight };
