// What each ggml architecture (general.architecture) becomes on the Hugging Face side, so that
// a GGUF file is built by the same architecture definitions as a downloaded folder:
// - the config.json fields its `<arch>.*` keys stand for (the keys llama.cpp's converter writes);
// - the Hugging Face name of each ggml tensor (llama.cpp's tensor mapping, read backwards);
// - what the converter changed in a tensor's layout, undone: row orders (llama's interleaved
//   rotary rows, BLOOM's and GPT-NeoX's fused q/k/v restacked from per-head order), which keep a
//   quantized tensor's blocks, and other changes (Gemma's norm weights stored as 1 + weight,
//   GPT-2's Conv1D weights transposed to [out, in]), which make a new float tensor.
import type { F32Tensor } from '../../common/model-spec.ts';
import { transpose2d } from '../architectures/tensor-layout.ts';
import { llama3ScalingFromFactors } from './llama3-rope-factors.ts';
import type { MetadataReader } from './gguf-metadata.ts';
import { GgufError } from './gguf-file.ts';
import { interleavedQkvRowOrder } from './qkv-head-rows.ts';
import { rotaryRowOrder } from './rotary-rows.ts';

export interface RestoreContext {
  file: string;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
}

export interface GgufArchitecture {
  /** config.json model_type, as architecture-registry.ts knows it. */
  modelType: string;
  /** config.json's fields, besides vocab_size, tie_word_embeddings and the special token ids that every family shares. */
  config(meta: MetadataReader, ropeFactors: Float32Array | null, file: string): Record<string, unknown>;
  /** The Hugging Face name of a ggml tensor, or null for one this family does not have. */
  huggingFaceName(ggmlName: string): string | null;
  /**
   * When the converter reordered this tensor's rows: row r of the Hugging Face tensor is stored
   * row order[r]. Rows are whole ggml blocks, so the reorder keeps a quantized tensor's blocks.
   */
  rowOrder?(hfName: string, rows: number, context: RestoreContext): number[] | null;
  /** The Hugging Face tensor from the one the file stores, its rows in order (same values, the layout transformers has). */
  restore(hfName: string, tensor: F32Tensor, context: RestoreContext): F32Tensor;
  /** Whether `restore` transposes this 2-D tensor (so its Hugging Face shape is ggml's ne order). */
  transposed?(hfName: string): boolean;
  /** The converter writes a tied head again as output.weight (GPT-2, BLOOM): a copy of token_embd is the tied head. */
  tiedHeadWrittenTwice?: boolean;
}

interface NameTables {
  globals: Readonly<Record<string, string>>;
  layerPrefix: string;
  layers: Readonly<Record<string, string>>;
}

function namer({ globals, layerPrefix, layers }: NameTables): (ggmlName: string) => string | null {
  return (ggmlName) => {
    const global = globals[ggmlName];
    if (global) return global;
    const match = /^blk\.(\d+)\.(\w+)\.(weight|bias)$/.exec(ggmlName);
    const local = match ? layers[match[2]!] : undefined;
    return match && local ? `${layerPrefix}.${match[1]}.${local}.${match[3]}` : null;
  };
}

const LLAMA_FAMILY_NAMES: NameTables = {
  globals: { 'token_embd.weight': 'model.embed_tokens.weight', 'output_norm.weight': 'model.norm.weight', 'output.weight': 'lm_head.weight' },
  layerPrefix: 'model.layers',
  layers: {
    attn_norm: 'input_layernorm',
    attn_q: 'self_attn.q_proj',
    attn_k: 'self_attn.k_proj',
    attn_v: 'self_attn.v_proj',
    attn_qkv: 'self_attn.qkv_proj',
    attn_output: 'self_attn.o_proj',
    attn_q_norm: 'self_attn.q_norm',
    attn_k_norm: 'self_attn.k_norm',
    ffn_norm: 'post_attention_layernorm',
    ffn_gate: 'mlp.gate_proj',
    ffn_up: 'mlp.up_proj',
    ffn_down: 'mlp.down_proj',
  },
};

/** The config.json fields every llama-family member reads. */
function llamaFamilyConfig(meta: MetadataReader, ropeFactors: Float32Array | null, file: string): Record<string, unknown> {
  const numHeads = meta.number('attention.head_count');
  const hiddenSize = meta.number('embedding_length');
  const headDim = meta.optionalNumber('attention.key_length') ?? hiddenSize / numHeads;
  const ropeDim = meta.optionalNumber('rope.dimension_count');
  return {
    hidden_size: hiddenSize,
    intermediate_size: meta.number('feed_forward_length'),
    num_hidden_layers: meta.number('block_count'),
    num_attention_heads: numHeads,
    num_key_value_heads: meta.optionalNumber('attention.head_count_kv') ?? numHeads,
    head_dim: headDim,
    max_position_embeddings: meta.optionalNumber('context_length'),
    rms_norm_eps: meta.optionalDecimal('attention.layer_norm_rms_epsilon'),
    rope_theta: meta.optionalDecimal('rope.freq_base'),
    partial_rotary_factor: ropeDim !== undefined && ropeDim !== headDim ? ropeDim / headDim : undefined,
    rope_scaling:
      ropeFactors === null
        ? ropeScaling(meta)
        : llama3ScalingFromFactors({
            path: file,
            factors: ropeFactors,
            theta: Math.fround(meta.optionalNumber('rope.freq_base') ?? 10000),
            rotaryDim: ropeDim ?? headDim,
            originalContext: meta.optionalNumber('rope.scaling.original_context_length'),
          }),
    hidden_act: 'silu',
  };
}

function ropeScaling(meta: MetadataReader): Record<string, unknown> | undefined {
  const type = meta.optionalString('rope.scaling.type');
  if (type === undefined || type === 'none') return undefined;
  // linear is what the engine implements; others (yarn, longrope) reach rope-config.ts, which names them as unsupported.
  return { rope_type: type, factor: meta.optionalNumber('rope.scaling.factor') };
}

const unchanged = (_name: string, tensor: F32Tensor): F32Tensor => tensor;

const llamaFamily = (modelType: string, extra: (meta: MetadataReader) => Record<string, unknown>, names = LLAMA_FAMILY_NAMES): GgufArchitecture => ({
  modelType,
  config: (meta, ropeFactors, file) => ({ ...llamaFamilyConfig(meta, ropeFactors, file), ...extra(meta) }),
  huggingFaceName: namer(names),
  restore: unchanged,
});

/** GPT-2's Conv1D weights, stored [in, out] by transformers. */
const GPT2_CONV1D = /^transformer\.h\.\d+\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.weight$/;

/** BLOOM's and GPT-NeoX's converters restack query_key_value's per-head rows as [q; k; v]. */
function fusedQkvRowOrder(name: string, rows: number, { file, numHeads, headDim }: RestoreContext): number[] | null {
  if (!/\.query_key_value\.(weight|bias)$/.test(name)) return null;
  if (rows !== 3 * numHeads * headDim) {
    throw new GgufError(file, `tensor for "${name}" has ${rows} rows, not 3 × ${numHeads} heads × ${headDim}. The file does not match its metadata.`);
  }
  return interleavedQkvRowOrder(numHeads, headDim);
}

export const GGUF_ARCHITECTURES: Readonly<Record<string, GgufArchitecture>> = {
  llama: {
    ...llamaFamily('llama', (meta) => ({ attention_bias: meta.hasTensor('blk.0.attn_q.bias'), mlp_bias: meta.hasTensor('blk.0.ffn_up.bias') })),
    // LlamaModel's converter interleaves each head's rotary halves in q and k (its `permute`).
    rowOrder(name, rows, { file, numHeads, numKvHeads }) {
      const heads = /self_attn\.q_proj\.(weight|bias)$/.test(name) ? numHeads : /self_attn\.k_proj\.(weight|bias)$/.test(name) ? numKvHeads : null;
      if (heads === null) return null;
      const order = rotaryRowOrder(rows, heads);
      if (!order) throw new GgufError(file, `tensor for "${name}" has ${rows} rows, which do not split into ${heads} heads of an even number of rows. The file does not match its metadata.`);
      return order;
    },
  },
  qwen2: llamaFamily('qwen2', () => ({})),
  qwen3: llamaFamily('qwen3', (meta) => ({ attention_bias: meta.hasTensor('blk.0.attn_q.bias') })),
  gemma: {
    ...llamaFamily('gemma', () => ({ hidden_activation: 'gelu_pytorch_tanh' })),
    // GemmaModel's converter stores 1 + weight; transformers' Gemma (and its loader here) adds the 1 itself.
    restore: (name, tensor) => (/norm\.weight$/.test(name) ? { data: tensor.data.map((v) => v - 1), shape: tensor.shape } : tensor),
  },
  // Phi-3's converter stores gate_up_proj ([gate; up]) as ffn_up.
  phi3: llamaFamily('phi3', (meta) => ({ sliding_window: meta.optionalNumber('attention.sliding_window') }), {
    ...LLAMA_FAMILY_NAMES,
    layers: { ...LLAMA_FAMILY_NAMES.layers, ffn_up: 'mlp.gate_up_proj' },
  }),

  gpt2: {
    modelType: 'gpt2',
    tiedHeadWrittenTwice: true,
    config: (meta) => ({
      n_embd: meta.number('embedding_length'),
      n_layer: meta.number('block_count'),
      n_head: meta.number('attention.head_count'),
      n_positions: meta.number('context_length'),
      n_inner: meta.optionalNumber('feed_forward_length'),
      layer_norm_epsilon: meta.optionalDecimal('attention.layer_norm_epsilon'),
      activation_function: 'gelu_new',
    }),
    huggingFaceName: namer({
      globals: {
        'token_embd.weight': 'transformer.wte.weight',
        'position_embd.weight': 'transformer.wpe.weight',
        'output_norm.weight': 'transformer.ln_f.weight',
        'output_norm.bias': 'transformer.ln_f.bias',
        'output.weight': 'lm_head.weight',
      },
      layerPrefix: 'transformer.h',
      layers: { attn_norm: 'ln_1', attn_qkv: 'attn.c_attn', attn_output: 'attn.c_proj', ffn_norm: 'ln_2', ffn_up: 'mlp.c_fc', ffn_down: 'mlp.c_proj' },
    }),
    // GPT2Model's converter transposes the Conv1D weights ([in, out]) to [out, in].
    transposed: (name) => GPT2_CONV1D.test(name),
    restore: (name, tensor) => (GPT2_CONV1D.test(name) ? transpose2d(tensor) : tensor),
  },
  gptneox: {
    modelType: 'gpt_neox',
    config: (meta) => {
      const hidden = meta.number('embedding_length');
      const numHeads = meta.number('attention.head_count');
      const ropeDim = meta.optionalNumber('rope.dimension_count');
      return {
        hidden_size: hidden,
        num_hidden_layers: meta.number('block_count'),
        num_attention_heads: numHeads,
        intermediate_size: meta.number('feed_forward_length'),
        max_position_embeddings: meta.optionalNumber('context_length'),
        layer_norm_eps: meta.optionalDecimal('attention.layer_norm_epsilon'),
        use_parallel_residual: meta.optionalBoolean('use_parallel_residual') ?? true,
        attention_bias: meta.hasTensor('blk.0.attn_qkv.bias'),
        rotary_pct: ropeDim === undefined ? undefined : ropeDim / (hidden / numHeads),
        rope_theta: meta.optionalDecimal('rope.freq_base'),
        hidden_act: 'gelu',
      };
    },
    huggingFaceName: namer({
      globals: {
        'token_embd.weight': 'gpt_neox.embed_in.weight',
        'output_norm.weight': 'gpt_neox.final_layer_norm.weight',
        'output_norm.bias': 'gpt_neox.final_layer_norm.bias',
        'output.weight': 'embed_out.weight',
      },
      layerPrefix: 'gpt_neox.layers',
      layers: {
        attn_norm: 'input_layernorm',
        attn_qkv: 'attention.query_key_value',
        attn_output: 'attention.dense',
        ffn_norm: 'post_attention_layernorm',
        ffn_up: 'mlp.dense_h_to_4h',
        ffn_down: 'mlp.dense_4h_to_h',
      },
    }),
    rowOrder: fusedQkvRowOrder,
    restore: unchanged,
  },
  bloom: {
    modelType: 'bloom',
    tiedHeadWrittenTwice: true,
    config: (meta) => ({
      n_embed: meta.number('embedding_length'),
      n_layer: meta.number('block_count'),
      n_head: meta.number('attention.head_count'),
      layer_norm_epsilon: meta.optionalDecimal('attention.layer_norm_epsilon'),
      seq_length: meta.optionalNumber('context_length'),
    }),
    huggingFaceName: namer({
      globals: {
        'token_embd.weight': 'transformer.word_embeddings.weight',
        'token_embd_norm.weight': 'transformer.word_embeddings_layernorm.weight',
        'token_embd_norm.bias': 'transformer.word_embeddings_layernorm.bias',
        'output_norm.weight': 'transformer.ln_f.weight',
        'output_norm.bias': 'transformer.ln_f.bias',
        'output.weight': 'lm_head.weight',
      },
      layerPrefix: 'transformer.h',
      layers: {
        attn_norm: 'input_layernorm',
        attn_qkv: 'self_attention.query_key_value',
        attn_output: 'self_attention.dense',
        ffn_norm: 'post_attention_layernorm',
        ffn_up: 'mlp.dense_h_to_4h',
        ffn_down: 'mlp.dense_4h_to_h',
      },
    }),
    rowOrder: fusedQkvRowOrder,
    restore: unchanged,
  },
  mpt: {
    modelType: 'mpt',
    config: (meta) => {
      const alibiBiasMax = meta.optionalNumber('attention.max_alibi_bias');
      return {
        d_model: meta.number('embedding_length'),
        n_heads: meta.number('attention.head_count'),
        n_layers: meta.number('block_count'),
        max_seq_len: meta.optionalNumber('context_length'),
        layer_norm_epsilon: meta.optionalDecimal('attention.layer_norm_epsilon'),
        no_bias: !meta.hasTensor('blk.0.attn_qkv.bias'),
        // The converter writes max_alibi_bias 0 for a model without ALiBi, which mpt.ts refuses by name.
        attn_config: { alibi: alibiBiasMax !== 0, alibi_bias_max: alibiBiasMax || undefined, clip_qkv: meta.optionalNumber('attention.clamp_kqv') },
      };
    },
    huggingFaceName: namer({
      globals: {
        'token_embd.weight': 'transformer.wte.weight',
        'output_norm.weight': 'transformer.norm_f.weight',
        'output_norm.bias': 'transformer.norm_f.bias',
        'output.weight': 'lm_head.weight',
      },
      layerPrefix: 'transformer.blocks',
      layers: { attn_norm: 'norm_1', attn_qkv: 'attn.Wqkv', attn_output: 'attn.out_proj', ffn_norm: 'norm_2', ffn_up: 'ffn.up_proj', ffn_down: 'ffn.down_proj' },
    }),
    restore: unchanged,
  },
};
