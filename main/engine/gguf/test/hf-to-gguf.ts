// Test support only: converts a small Hugging Face folder to a GGUF file the way llama.cpp's
// convert_hf_to_gguf.py does for the llama family (its tensor names, its `<arch>.*` keys, the
// interleaved rotary rows of llama's q/k, Gemma's norm weights stored as 1 + weight), so the
// GGUF model source can be checked against the folder it came from: same spec, same weights.
// The name table here is written from llama.cpp's tensor mapping, independently of the reader's.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { F32Tensor } from '../../../common/model-spec.ts';
import { transpose2d } from '../../architectures/tensor-layout.ts';
import { float32ToFloat16Bits } from '../../checkpoint/float16.ts';
import { openCheckpoint } from '../../checkpoint/safetensors-checkpoint.ts';
import { GgufValueType } from '../gguf-file.ts';
import { meta, permuteRotaryRows, writeGgufFile, type GgufMetadataEntry, type GgufTensorToWrite } from './gguf-writer.ts';

export type ConvertedArchitecture = 'llama' | 'qwen2' | 'qwen3' | 'gemma' | 'phi3' | 'gpt2' | 'gptneox' | 'bloom' | 'mpt';

const LAYER_PARTS: Record<string, string> = {
  'input_layernorm': 'attn_norm',
  'self_attn.q_proj': 'attn_q',
  'self_attn.k_proj': 'attn_k',
  'self_attn.v_proj': 'attn_v',
  'self_attn.qkv_proj': 'attn_qkv',
  'self_attn.o_proj': 'attn_output',
  'self_attn.q_norm': 'attn_q_norm',
  'self_attn.k_norm': 'attn_k_norm',
  'post_attention_layernorm': 'ffn_norm',
  'mlp.gate_proj': 'ffn_gate',
  'mlp.up_proj': 'ffn_up',
  'mlp.gate_up_proj': 'ffn_up',
  'mlp.down_proj': 'ffn_down',
};

/** The fused-QKV families' names (llama.cpp's tensor mapping), prefix stripped: layer part → ggml part. */
const FUSED_LAYER_PARTS: Record<string, string> = {
  ln_1: 'attn_norm', 'attn.c_attn': 'attn_qkv', 'attn.c_proj': 'attn_output', ln_2: 'ffn_norm', 'mlp.c_fc': 'ffn_up', 'mlp.c_proj': 'ffn_down',
  'attention.query_key_value': 'attn_qkv', 'attention.dense': 'attn_output',
  'self_attention.query_key_value': 'attn_qkv', 'self_attention.dense': 'attn_output',
  'mlp.dense_h_to_4h': 'ffn_up', 'mlp.dense_4h_to_h': 'ffn_down',
  norm_1: 'attn_norm', 'attn.Wqkv': 'attn_qkv', 'attn.out_proj': 'attn_output', norm_2: 'ffn_norm', 'ffn.up_proj': 'ffn_up', 'ffn.down_proj': 'ffn_down',
};
const FUSED_GLOBALS: Record<string, string> = {
  'wte.weight': 'token_embd.weight', 'wpe.weight': 'position_embd.weight', 'ln_f.weight': 'output_norm.weight', 'ln_f.bias': 'output_norm.bias',
  'embed_in.weight': 'token_embd.weight', 'embed_out.weight': 'output.weight', 'final_layer_norm.weight': 'output_norm.weight', 'final_layer_norm.bias': 'output_norm.bias',
  'word_embeddings.weight': 'token_embd.weight', 'word_embeddings_layernorm.weight': 'token_embd_norm.weight', 'word_embeddings_layernorm.bias': 'token_embd_norm.bias',
  'norm_f.weight': 'output_norm.weight', 'norm_f.bias': 'output_norm.bias', 'lm_head.weight': 'output.weight',
};

function ggmlName(hfName: string): string {
  const name = hfName.replace(/^(model|transformer|gpt_neox)\./, '');
  if (name === 'embed_tokens.weight') return 'token_embd.weight';
  if (name === 'norm.weight') return 'output_norm.weight';
  if (FUSED_GLOBALS[name]) return FUSED_GLOBALS[name];
  const match = /^(?:layers|h|blocks)\.(\d+)\.(.+)\.(weight|bias)$/.exec(name);
  const part = match && (LAYER_PARTS[match[2]!] ?? FUSED_LAYER_PARTS[match[2]!]);
  if (!match || !part) throw new Error(`test converter: no ggml name for ${hfName}`);
  return `blk.${match[1]}.${part}.${match[3]}`;
}

/** [head][q, k, v][head_dim] rows → [q; k; v], as the BLOOM and GPT-NeoX converters reshape them. */
function stackQkvHeads(tensor: F32Tensor, numHeads: number): F32Tensor {
  const cols = tensor.shape.length > 1 ? tensor.shape[1]! : 1;
  const headDim = tensor.shape[0]! / 3 / numHeads;
  const out = new Float32Array(tensor.data.length);
  for (let h = 0; h < numHeads; h++) {
    for (let part = 0; part < 3; part++) {
      const from = (h * 3 + part) * headDim * cols;
      out.set(tensor.data.subarray(from, from + headDim * cols), (part * numHeads + h) * headDim * cols);
    }
  }
  return { data: out, shape: [...tensor.shape] };
}

/** The `<arch>.*` keys the converter writes for a fused-QKV family. */
function fusedFamilyMetadata(arch: ConvertedArchitecture, config: Record<string, unknown>): Record<string, GgufMetadataEntry> {
  const n = (...keys: string[]) => keys.map((k) => config[k]).find((v) => typeof v === 'number') as number;
  const hidden = n('n_embd', 'hidden_size', 'n_embed', 'd_model');
  const heads = n('n_head', 'num_attention_heads', 'n_heads');
  const entries: Record<string, GgufMetadataEntry> = {
    [`${arch}.block_count`]: meta.u32(n('n_layer', 'num_hidden_layers', 'n_layers')),
    [`${arch}.embedding_length`]: meta.u32(hidden),
    [`${arch}.attention.head_count`]: meta.u32(heads),
    [`${arch}.attention.layer_norm_epsilon`]: meta.f32(n('layer_norm_epsilon', 'layer_norm_eps') ?? 1e-5),
  };
  const context = n('n_positions', 'max_position_embeddings', 'seq_length', 'max_seq_len');
  if (context !== undefined) entries[`${arch}.context_length`] = meta.u32(context);
  entries[`${arch}.feed_forward_length`] = meta.u32(arch === 'gptneox' ? n('intermediate_size') : 4 * hidden);
  if (arch === 'gptneox') {
    const rope = config.rope_parameters as { partial_rotary_factor: number; rope_theta: number };
    entries['gptneox.rope.dimension_count'] = meta.u32(Math.floor(rope.partial_rotary_factor * (hidden / heads)));
    entries['gptneox.rope.freq_base'] = meta.f32(rope.rope_theta);
    entries['gptneox.use_parallel_residual'] = meta.bool(config.use_parallel_residual as boolean);
  }
  if (arch === 'bloom') entries['bloom.attention.head_count_kv'] = meta.u32(heads);
  if (arch === 'mpt') entries['mpt.attention.max_alibi_bias'] = meta.f32((config.attn_config as { alibi_bias_max: number }).alibi_bias_max);
  return entries;
}

export interface ConvertOptions {
  /** Store 2-D weights as F16 (their values must be float16 already to round-trip). Default F32. */
  f16?: boolean;
  /** Store 2-D weights whose rows are whole blocks of 32 as Q8_0, quantized as ggml's reference quantizer does. */
  q8_0?: boolean;
}

/** ggml's quantize_row_q8_0_ref: per 32 values d = max|x| / 127 (stored as float16), q = round(x / d). */
export function quantizeQ8_0(values: Float32Array): Uint8Array {
  const blocks = values.length / 32;
  const out = new Uint8Array(blocks * 34);
  for (let b = 0; b < blocks; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(values[b * 32 + j]));
    const d = amax / 127;
    const id = d ? 1 / d : 0;
    const half = float32ToFloat16Bits(new Float32Array([d]))[0];
    out[b * 34] = half & 0xff;
    out[b * 34 + 1] = half >> 8;
    for (let j = 0; j < 32; j++) out[b * 34 + 2 + j] = Math.round(values[b * 32 + j] * id) & 0xff;
  }
  return out;
}

/** Writes `path` from the Hugging Face folder `dir` as llama.cpp's converter would for `arch`. */
export async function convertHfFolderToGguf(dir: string, path: string, arch: ConvertedArchitecture, options: ConvertOptions = {}): Promise<void> {
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const num = (key: string) => config[key] as number;
  const numHeads = num('num_attention_heads') ?? num('n_head') ?? num('n_heads');
  const numKvHeads = (config.num_key_value_heads as number | undefined) ?? numHeads;
  const headDim = (config.head_dim as number | undefined) ?? (num('hidden_size') ?? num('n_embd')) / numHeads;
  const rope = (config.rope_parameters ?? {}) as { rope_theta?: number };
  const metadata: Record<string, GgufMetadataEntry> = {
    'general.architecture': meta.str(arch),
    [`${arch}.block_count`]: meta.u32(num('num_hidden_layers')),
    [`${arch}.context_length`]: meta.u32(num('max_position_embeddings')),
    [`${arch}.embedding_length`]: meta.u32(num('hidden_size')),
    [`${arch}.feed_forward_length`]: meta.u32(num('intermediate_size')),
    [`${arch}.attention.head_count`]: meta.u32(numHeads),
    [`${arch}.attention.head_count_kv`]: meta.u32(numKvHeads),
    [`${arch}.attention.key_length`]: meta.u32(headDim),
    [`${arch}.attention.value_length`]: meta.u32(headDim),
    [`${arch}.attention.layer_norm_rms_epsilon`]: meta.f32(num('rms_norm_eps')),
    [`${arch}.rope.freq_base`]: meta.f32(rope.rope_theta ?? (config.rope_theta as number | undefined) ?? 10000),
    [`${arch}.rope.dimension_count`]: meta.u32(headDim),
    [`${arch}.vocab_size`]: meta.u32(num('vocab_size')),
    'tokenizer.ggml.model': meta.str('gpt2'),
    'tokenizer.ggml.tokens': meta.array(GgufValueType.STRING, Array.from({ length: num('vocab_size') }, (_, i) => `t${i}`)),
    // A byte-level BPE vocabulary always comes with its merges (none here), so the file builds.
    'tokenizer.ggml.merges': meta.array(GgufValueType.STRING, []),
  };
  for (const [key, field] of [['bos_token_id', 'bos_token_id'], ['eos_token_id', 'eos_token_id'], ['padding_token_id', 'pad_token_id']] as const) {
    if (typeof config[field] === 'number') metadata[`tokenizer.ggml.${key}`] = meta.u32(config[field]);
  }

  const tensors: GgufTensorToWrite[] = [];
  const scaling = config.rope_parameters as { rope_type?: string; rope_theta?: number; factor?: number; low_freq_factor?: number; high_freq_factor?: number; original_max_position_embeddings?: number } | undefined;
  if (scaling?.rope_type === 'llama3') {
    const factors = llama3RopeFactors(scaling.rope_theta ?? 10000, headDim, scaling.factor!, scaling.low_freq_factor!, scaling.high_freq_factor!, scaling.original_max_position_embeddings!);
    tensors.push({ name: 'rope_freqs.weight', dims: [factors.length], type: 0, data: new Uint8Array(factors.buffer) });
  }
  const fused = arch === 'gpt2' || arch === 'gptneox' || arch === 'bloom' || arch === 'mpt';
  if (fused) {
    for (const key of Object.keys(metadata)) if (key.startsWith(`${arch}.`)) delete metadata[key];
    Object.assign(metadata, fusedFamilyMetadata(arch, config));
  }
  const checkpoint = await openCheckpoint(dir);
  try {
    for (const name of checkpoint.tensors.keys()) {
      let tensor: F32Tensor = await checkpoint.readF32(name);
      if (arch === 'llama' && /self_attn\.q_proj\.(weight|bias)$/.test(name)) tensor = permuteRotaryRows(tensor, numHeads);
      if (arch === 'llama' && /self_attn\.k_proj\.(weight|bias)$/.test(name)) tensor = permuteRotaryRows(tensor, numKvHeads);
      if (arch === 'gemma' && /norm\.weight$/.test(name)) tensor = { data: tensor.data.map((v) => v + 1), shape: tensor.shape };
      if (arch === 'gpt2' && /\.(c_attn|c_proj|c_fc)\.weight$/.test(name)) tensor = transpose2d(tensor);
      if ((arch === 'gptneox' || arch === 'bloom') && /query_key_value\.(weight|bias)$/.test(name)) tensor = stackQkvHeads(tensor, numHeads);
      const dims = [...tensor.shape].reverse();
      if (options.q8_0 && tensor.shape.length === 2 && tensor.shape[1] % 32 === 0) {
        tensors.push({ name: ggmlName(name), dims, type: 8, data: quantizeQ8_0(tensor.data) });
      } else if (options.f16 && tensor.shape.length === 2) {
        const bits = float32ToFloat16Bits(tensor.data);
        tensors.push({ name: ggmlName(name), dims, type: 1, data: new Uint8Array(bits.buffer) });
      } else {
        tensors.push({ name: ggmlName(name), dims, type: 0, data: new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength) });
      }
      // GPT-2's and BLOOM's converters write the tied head again as output.weight.
      if ((arch === 'gpt2' || arch === 'bloom') && ggmlName(name) === 'token_embd.weight') tensors.push({ ...tensors.at(-1)!, name: 'output.weight' });
    }
  } finally {
    await checkpoint.close();
  }
  await writeGgufFile(path, { metadata, tensors });
}

/**
 * The converter's rope_freqs for Llama 3 scaling: float32 frequencies base^(-2i/dim) as torch
 * computes them, then per frequency 1 (short wavelengths), `factor` (long ones) or the smooth
 * divisor between, in double precision, stored as float32.
 */
export function llama3RopeFactors(base: number, dim: number, factor: number, low: number, high: number, oldContext: number): Float32Array {
  const lowWavelen = oldContext / low;
  const highWavelen = oldContext / high;
  const out = new Float32Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) {
    const freq = Math.fround(1 / Math.fround(Math.pow(base, Math.fround((2 * i) / dim))));
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < highWavelen) out[i] = 1;
    else if (wavelen > lowWavelen) out[i] = factor;
    else {
      const smooth = (oldContext / wavelen - low) / (high - low);
      out[i] = 1 / ((1 - smooth) / factor + smooth);
    }
  }
  return out;
}
