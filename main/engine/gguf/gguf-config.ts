// Turns a GGUF file's metadata (general.architecture and the `<arch>.*` keys) into the
// config.json that Hugging Face would have for the same model, so the architectures' own config
// schemas and toSpec fold it into a ModelSpec exactly as they fold a downloaded folder's config.
// Each supported ggml architecture names the Hugging Face model_type it becomes and the fields
// only it has; the rest (sizes, heads, norm epsilon, rotary base) are common to the llama family.
import { GgufError, type GgufHeader, type GgufValue } from './gguf-file.ts';
import { llama3ScalingFromFactors } from './llama3-rope-factors.ts';

/** What a ggml architecture becomes on the Hugging Face side. */
export interface GgufArchitecture {
  /** config.json model_type, as architecture-registry.ts knows it. */
  modelType: string;
  /** llama.cpp's converter interleaved the rotary halves of attn_q/attn_k rows (LlamaModel's `permute`). */
  permutedRotary: boolean;
  /** Norm weights stored with this added (Gemma's converter stores 1 + weight). */
  storedNormOffset: number;
  /** Fields of config.json only this architecture has. */
  extraConfig(meta: MetadataReader): Record<string, unknown>;
}

/** ggml architecture names (general.architecture) that Hearth builds, and what each becomes. */
export const GGUF_ARCHITECTURES: Readonly<Record<string, GgufArchitecture>> = {
  llama: {
    modelType: 'llama',
    permutedRotary: true,
    storedNormOffset: 0,
    extraConfig: (meta) => ({ attention_bias: meta.hasTensor('blk.0.attn_q.bias'), mlp_bias: meta.hasTensor('blk.0.ffn_up.bias') }),
  },
  qwen2: { modelType: 'qwen2', permutedRotary: false, storedNormOffset: 0, extraConfig: () => ({}) },
  qwen3: { modelType: 'qwen3', permutedRotary: false, storedNormOffset: 0, extraConfig: (meta) => ({ attention_bias: meta.hasTensor('blk.0.attn_q.bias') }) },
  gemma: { modelType: 'gemma', permutedRotary: false, storedNormOffset: 1, extraConfig: () => ({ hidden_activation: 'gelu_pytorch_tanh' }) },
  phi3: {
    modelType: 'phi3',
    permutedRotary: false,
    storedNormOffset: 0,
    extraConfig: (meta) => ({ sliding_window: meta.optionalNumber('attention.sliding_window') }),
  },
};

/** Architectures Hearth builds from a folder but not yet from a GGUF file: their tensors are named and laid out differently. */
const NOT_YET_FROM_GGUF = ['gpt2', 'gptneox', 'bloom', 'mpt'];

/** Llama 3.1 and later: the rotary scaling as one divisor per frequency (llama3-rope-factors.ts). */
export const ROPE_FREQS = 'rope_freqs.weight';

/** Tensors that carry model behaviour the spec cannot express yet; a file holding them is refused rather than run wrongly. */
const UNSUPPORTED_TENSORS: Readonly<Record<string, string>> = {
  'rope_factors_long.weight': 'LongRoPE factors (rope_factors_long)',
  'rope_factors_short.weight': 'LongRoPE factors (rope_factors_short)',
};

export function ggufArchitecture(header: GgufHeader): { name: string; architecture: GgufArchitecture } {
  const name = header.metadata.get('general.architecture');
  const supported = Object.keys(GGUF_ARCHITECTURES).join(', ');
  if (typeof name !== 'string') throw new GgufError(header.path, `has no general.architecture string, so its architecture is unknown (Hearth builds ${supported}).`);
  const architecture = GGUF_ARCHITECTURES[name];
  if (!architecture) {
    const later = NOT_YET_FROM_GGUF.includes(name) ? ` Hearth builds ${name} from a Hugging Face folder, not yet from a GGUF file: use the model's Hugging Face folder.` : ' Pick a model of a supported architecture.';
    throw new GgufError(header.path, `is a "${name}" model; Hearth builds GGUF files of the architectures ${supported}.${later}`);
  }
  for (const [tensor, what] of Object.entries(UNSUPPORTED_TENSORS)) {
    if (header.tensors.has(tensor)) throw new GgufError(header.path, `holds ${what}, which Hearth does not implement yet. Pick another model.`);
  }
  if (header.tensors.has(ROPE_FREQS) && name !== 'llama') {
    throw new GgufError(header.path, `holds per-frequency rotary divisors (${ROPE_FREQS}), which Hearth reads only as a llama model's Llama 3 scaling. Pick another model.`);
  }
  return { name, architecture };
}

/** The config.json of the model this GGUF file holds; `ropeFactors` is its rope_freqs tensor, when it has one. */
export function configFromGguf(header: GgufHeader, ropeFactors: Float32Array | null = null): Record<string, unknown> {
  const { name, architecture } = ggufArchitecture(header);
  const meta = new MetadataReader(header, name);
  const numHeads = meta.number('attention.head_count');
  const numKvHeads = meta.optionalNumber('attention.head_count_kv') ?? numHeads;
  const hiddenSize = meta.number('embedding_length');
  const headDim = meta.optionalNumber('attention.key_length') ?? hiddenSize / numHeads;
  const ropeDim = meta.optionalNumber('rope.dimension_count');
  const embedding = header.tensors.get('token_embd.weight');
  const tokens = header.metadata.get('tokenizer.ggml.tokens');
  const eos = meta.tokenId('eos_token_id');
  const eot = meta.tokenId('eot_token_id');
  return {
    model_type: architecture.modelType,
    vocab_size: meta.optionalNumber('vocab_size') ?? embedding?.dims[1] ?? (Array.isArray(tokens) ? tokens.length : undefined),
    hidden_size: hiddenSize,
    intermediate_size: meta.number('feed_forward_length'),
    num_hidden_layers: meta.number('block_count'),
    num_attention_heads: numHeads,
    num_key_value_heads: numKvHeads,
    head_dim: headDim,
    max_position_embeddings: meta.optionalNumber('context_length'),
    rms_norm_eps: shortestFloat32(meta.optionalNumber('attention.layer_norm_rms_epsilon')),
    rope_theta: shortestFloat32(meta.optionalNumber('rope.freq_base')),
    partial_rotary_factor: ropeDim !== undefined && ropeDim !== headDim ? ropeDim / headDim : undefined,
    rope_scaling:
      ropeFactors === null
        ? ropeScaling(meta)
        : llama3ScalingFromFactors({
            path: header.path,
            factors: ropeFactors,
            theta: Math.fround(meta.optionalNumber('rope.freq_base') ?? 10000),
            rotaryDim: ropeDim ?? headDim,
            originalContext: meta.optionalNumber('rope.scaling.original_context_length'),
          }),
    hidden_act: 'silu',
    tie_word_embeddings: !header.tensors.has('output.weight'),
    bos_token_id: meta.tokenId('bos_token_id'),
    eos_token_id: eot !== undefined && eos !== undefined && eot !== eos ? [eos, eot] : (eos ?? eot),
    pad_token_id: meta.tokenId('padding_token_id'),
    ...architecture.extraConfig(meta),
  };
}

function ropeScaling(meta: MetadataReader): Record<string, unknown> | undefined {
  const type = meta.optionalString('rope.scaling.type');
  if (type === undefined || type === 'none') return undefined;
  const factor = meta.optionalNumber('rope.scaling.factor');
  if (type === 'linear') return { rope_type: 'linear', factor };
  // Other types (yarn, longrope) go to rope-config.ts, which names them as unsupported.
  return { rope_type: type, factor };
}

/**
 * GGUF stores float32; config.json's decimal (1e-6, not 9.99999997e-7) is the shortest decimal that
 * rounds to the same float32, and the engine's own rounding to float32 gives the stored value back.
 */
function shortestFloat32(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

/** Typed reads of the `<arch>.*` keys, with errors that name the file and the key. */
export class MetadataReader {
  constructor(
    private readonly header: GgufHeader,
    private readonly arch: string,
  ) {}

  hasTensor(name: string): boolean {
    return this.header.tensors.has(name);
  }

  private raw(key: string): GgufValue | undefined {
    return this.header.metadata.get(`${this.arch}.${key}`);
  }

  number(key: string): number {
    const value = this.optionalNumber(key);
    if (value === undefined) throw new GgufError(this.header.path, `lacks the metadata ${this.arch}.${key}, which a ${this.arch} model needs. The file is incomplete: download it again.`);
    return value;
  }

  optionalNumber(key: string): number | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new GgufError(this.header.path, `metadata ${this.arch}.${key} is ${describe(value)}, not a number. The file is damaged.`);
    }
    return value;
  }

  optionalString(key: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new GgufError(this.header.path, `metadata ${this.arch}.${key} is ${describe(value)}, not a string. The file is damaged.`);
    return value;
  }

  /** tokenizer.ggml.<key>: a token id, or undefined when absent. */
  tokenId(key: string): number | undefined {
    const value = this.header.metadata.get(`tokenizer.ggml.${key}`);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new GgufError(this.header.path, `metadata tokenizer.ggml.${key} is ${describe(value)}, not a token id. The file is damaged.`);
    }
    return value;
  }
}

function describe(value: GgufValue): string {
  return Array.isArray(value) ? `an array of ${value.length}` : JSON.stringify(typeof value === 'bigint' ? value.toString() : value);
}
