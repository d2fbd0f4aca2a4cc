// A GGUF file seen as a Hugging Face checkpoint: its tensors under the names transformers gives
// them (model.layers.N.self_attn.q_proj.weight for blk.N.attn_q.weight), in [out, in] layout,
// read one at a time and decoded to float32 from their ggml blocks. So the architectures' own
// loaders (fused splits, norm offsets) and the import check work on a GGUF file unchanged.
// What llama.cpp's converter changed on the way in is undone here: the interleaved rotary rows of
// llama's attn_q/attn_k, and the 1 Gemma's converter adds to its norm weights.
import type { F32Tensor } from '../../common/model-spec.ts';
import type { Checkpoint, TensorInfo } from '../checkpoint/checkpoint.ts';
import { dequantizeGgml } from './ggml-dequantize.ts';
import { GgufError, type GgufFile, type GgufTensorInfo } from './gguf-file.ts';
import type { GgufArchitecture } from './gguf-config.ts';
import { unpermuteRotaryRows } from './rotary-rows.ts';

/** ggml's per-layer tensor names (llama.cpp's LLM_TENSOR_NAMES) and transformers' llama-family names. */
const LAYER_NAMES: Readonly<Record<string, string>> = {
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
};
const GLOBAL_NAMES: Readonly<Record<string, string>> = {
  'token_embd.weight': 'model.embed_tokens.weight',
  'output_norm.weight': 'model.norm.weight',
  'output.weight': 'lm_head.weight',
};

/** The Hugging Face name of a ggml tensor, or null for one no llama-family model has. */
export function huggingFaceName(ggmlName: string, architecture: GgufArchitecture): string | null {
  const global = GLOBAL_NAMES[ggmlName];
  if (global) return global;
  const match = /^blk\.(\d+)\.(\w+)\.(weight|bias)$/.exec(ggmlName);
  if (!match) return null;
  const [, layer, part, kind] = match as unknown as [string, string, string, string];
  // Phi-3's converter stores gate_up_proj ([gate; up]) as ffn_up.
  const local = architecture.modelType === 'phi3' && part === 'ffn_up' ? 'mlp.gate_up_proj' : LAYER_NAMES[part];
  return local ? `model.layers.${layer}.${local}.${kind}` : null;
}

export interface GgufCheckpointOptions {
  architecture: GgufArchitecture;
  numHeads: number;
  numKvHeads: number;
}

export class GgufCheckpoint implements Checkpoint {
  readonly dir: string;
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  private readonly ggml = new Map<string, GgufTensorInfo>();

  constructor(
    private readonly file: GgufFile,
    private readonly options: GgufCheckpointOptions,
  ) {
    this.dir = file.path;
    const tensors = new Map<string, TensorInfo>();
    for (const info of file.tensors.values()) {
      const name = huggingFaceName(info.name, options.architecture);
      if (name === null) continue;
      this.ggml.set(name, info);
      // Presented as the float32 tensor it decodes to, in Hugging Face's [out, in] order.
      tensors.set(name, { name, dtype: 'F32', shape: [...info.dims].reverse(), file: file.path, offset: info.offset, byteLength: info.byteLength });
    }
    this.tensors = tensors;
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** The ggml tensor behind a Hugging Face name (for its type), or undefined. */
  ggmlTensor(name: string): GgufTensorInfo | undefined {
    return this.ggml.get(name);
  }

  async readF32(name: string): Promise<F32Tensor> {
    const info = this.ggml.get(name);
    if (!info) throw new GgufError(this.file.path, `has no tensor for "${name}". The file does not hold a complete model: download it again.`);
    const data = dequantizeGgml(info.type, await this.file.readTensorBytes(info.name), info.values);
    const shape = [...info.dims].reverse();
    const { architecture, numHeads, numKvHeads } = this.options;
    if (architecture.permutedRotary) {
      if (name.endsWith('self_attn.q_proj.weight') || name.endsWith('self_attn.q_proj.bias')) unpermuteRotaryRows(data, shape, numHeads, this.file.path, name);
      if (name.endsWith('self_attn.k_proj.weight') || name.endsWith('self_attn.k_proj.bias')) unpermuteRotaryRows(data, shape, numKvHeads, this.file.path, name);
    }
    if (architecture.storedNormOffset !== 0 && /(layernorm|norm)\.weight$/.test(name)) {
      for (let i = 0; i < data.length; i++) data[i] = data[i]! - architecture.storedNormOffset;
    }
    return { data, shape };
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
