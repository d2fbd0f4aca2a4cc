// The one normalized description of a decoder-only transformer that every other part of the
// engine reads. Each architecture's config.json is parsed by its own schema (see
// ../architectures/) and folded into this shape, so the graph builder composes features
// (norm kind, positions, MLP kind, residual layout) instead of copying a layer per architecture.

export const ARCHITECTURES = ['llama', 'mistral', 'qwen2', 'qwen3', 'phi3', 'gemma', 'mpt', 'bloom', 'gpt_neox', 'gpt2'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export interface NormSpec {
  kind: 'rms' | 'layer';
  eps: number;
  /** Gemma multiplies by (1 + weight). The architecture's loadWeight already returns (1 + weight), so the builder uses loaded norm weights as they are; this field only records it. */
  weightOffset: 0 | 1;
  /** LayerNorm with a bias vector (GPT-2, BLOOM, GPT-NeoX); MPT's no_bias LayerNorm has none. */
  bias: boolean;
}

export type RopeScaling =
  | { type: 'linear'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number };

export type PositionSpec =
  | {
      kind: 'rope';
      theta: number;
      rotaryDim: number;
      scaling: RopeScaling | null;
      /** The dtype the checkpoint's inverse frequencies are rounded to (see rope-config.ts). */
      frequencyPrecision: 'float32' | 'bfloat16' | 'float16';
    }
  | { kind: 'alibi'; slopes: number[] }
  | { kind: 'learned'; maxPositions: number };

export interface AttentionSpec {
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  qkvBias: boolean;
  outBias: boolean;
  /** Qwen3: RMS norm over each head of q and k before RoPE. */
  qkNorm: boolean;
  /** Mistral: a query attends to the last `slidingWindow` keys, itself included. */
  slidingWindow: number | null;
  /** Softmax scale, 1/sqrt(headDim) unless the config says otherwise. */
  scale: number;
}

export interface MlpSpec {
  /** gated: down(act(gate(x)) * up(x)); plain: down(act(up(x))). */
  kind: 'gated' | 'plain';
  activation: 'silu' | 'gelu' | 'gelu_tanh';
  intermediateSize: number;
  bias: boolean;
}

export interface ModelSpec {
  architecture: Architecture;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  /** The longest context the model was trained for (max_position_embeddings or its equivalent). */
  contextLength: number;
  norm: NormSpec;
  positions: PositionSpec;
  attention: AttentionSpec;
  mlp: MlpSpec;
  /** parallel (GPT-NeoX with use_parallel_residual): x + attn(ln1(x)) + mlp(ln2(x)). */
  residual: 'sequential' | 'parallel';
  /** Gemma scales the embedding output by sqrt(hidden); null elsewhere. */
  embeddingScale: number | null;
  /** BLOOM normalizes the embedding output. */
  embeddingNorm: boolean;
  tiedEmbeddings: boolean;
  bosTokenId: number | null;
  eosTokenIds: number[];
  padTokenId: number | null;
}

/**
 * Canonical names of the weights the builder asks for, all in Hugging Face Linear layout
 * ([out, in]) and float32. Each architecture maps them onto its checkpoint's own names and
 * layouts (fused QKV split, Conv1D transposed, per-head interleaving undone).
 */
export type GlobalWeight =
  | 'embed'
  | 'positionEmbed'
  | 'embedNorm.weight'
  | 'embedNorm.bias'
  | 'finalNorm.weight'
  | 'finalNorm.bias'
  | 'lmHead';

export type LayerWeight =
  | 'attnNorm.weight'
  | 'attnNorm.bias'
  | 'q.weight'
  | 'q.bias'
  | 'k.weight'
  | 'k.bias'
  | 'v.weight'
  | 'v.bias'
  | 'o.weight'
  | 'o.bias'
  | 'qNorm.weight'
  | 'kNorm.weight'
  | 'mlpNorm.weight'
  | 'mlpNorm.bias'
  | 'gate.weight'
  | 'gate.bias'
  | 'up.weight'
  | 'up.bias'
  | 'down.weight'
  | 'down.bias';

export type WeightName = GlobalWeight | `layers.${number}.${LayerWeight}`;

/** A float32 tensor in row-major order. */
export interface F32Tensor {
  data: Float32Array;
  shape: number[];
}
