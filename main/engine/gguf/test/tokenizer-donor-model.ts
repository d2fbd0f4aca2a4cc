// Test support only: a small GGUF model carrying a real tokenizer. llama.cpp ships vocab-only GGUF
// files that its own converter wrote from the real Hugging Face tokenizers (models/ggml-vocab-*.gguf:
// Llama 3's, Qwen2's (which Qwen3 shares), Llama 2's SentencePiece). This copies one file's
// `tokenizer.*` metadata as it is and adds seeded random float32 weights of a small model of the
// family, so that llama.cpp and Hearth can be compared on greedy ids through the real tokenizer
// without downloading a model.
import type { GgufHeader } from '../gguf-file.ts';
import { GgufValueType } from '../gguf-file.ts';
import { SeededRandom } from '../../runtime/seeded-random.ts';
import { meta, writeGgufFile, type GgufMetadataEntry, type GgufTensorToWrite } from './gguf-writer.ts';

export type DonorArchitecture = 'llama' | 'qwen3';

export interface DonorModelShape {
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  ffn: number;
  ropeBase: number;
}

/** Row length 256 so that llama.cpp's k-quants (block 256) apply to every matrix. */
export const DONOR_SHAPE: DonorModelShape = { layers: 2, hidden: 256, heads: 4, kvHeads: 2, ffn: 512, ropeBase: 500000 };

/** The gguf types of the tokenizer keys llama.cpp's converter writes. */
function tokenizerEntry(key: string, value: unknown): GgufMetadataEntry | null {
  if (!key.startsWith('tokenizer.')) return null;
  if (Array.isArray(value)) {
    if (key === 'tokenizer.ggml.scores') return meta.array(GgufValueType.FLOAT32, value);
    if (key === 'tokenizer.ggml.token_type') return meta.array(GgufValueType.INT32, value);
    return meta.array(GgufValueType.STRING, value);
  }
  if (typeof value === 'boolean') return meta.bool(value);
  if (typeof value === 'string') return meta.str(value);
  if (typeof value === 'number') return meta.u32(value);
  throw new Error(`${key}: unexpected metadata value ${String(value)}`);
}

function randomF32(random: SeededRandom, dims: number[], std: number, mean = 0): GgufTensorToWrite {
  const count = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  // Uniform with the given standard deviation: enough for a model whose greedy choices are clear.
  const half = std * Math.sqrt(3);
  for (let i = 0; i < count; i++) data[i] = mean + (random.next() * 2 - 1) * half;
  return { name: '', dims, type: 0, data: new Uint8Array(data.buffer) };
}

/** Writes `path`: the donor's tokenizer, the family's hyperparameters, seeded random weights. */
export async function writeTokenizerDonorModel(path: string, donor: GgufHeader, arch: DonorArchitecture, seed: number, shape = DONOR_SHAPE): Promise<void> {
  const vocab = (donor.metadata.get('tokenizer.ggml.tokens') as unknown[] | undefined)?.length;
  if (vocab === undefined) throw new Error(`${donor.path} has no tokenizer.ggml.tokens`);
  const headDim = shape.hidden / shape.heads;
  const metadata: Record<string, GgufMetadataEntry> = {
    'general.architecture': meta.str(arch),
    'general.name': meta.str(`${arch} with the tokenizer of ${donor.path.split('/').pop()}`),
    [`${arch}.block_count`]: meta.u32(shape.layers),
    [`${arch}.context_length`]: meta.u32(4096),
    [`${arch}.embedding_length`]: meta.u32(shape.hidden),
    [`${arch}.feed_forward_length`]: meta.u32(shape.ffn),
    [`${arch}.attention.head_count`]: meta.u32(shape.heads),
    [`${arch}.attention.head_count_kv`]: meta.u32(shape.kvHeads),
    [`${arch}.attention.key_length`]: meta.u32(headDim),
    [`${arch}.attention.value_length`]: meta.u32(headDim),
    [`${arch}.attention.layer_norm_rms_epsilon`]: meta.f32(1e-6),
    [`${arch}.rope.freq_base`]: meta.f32(shape.ropeBase),
    [`${arch}.rope.dimension_count`]: meta.u32(headDim),
    [`${arch}.vocab_size`]: meta.u32(vocab),
  };
  for (const [key, value] of donor.metadata) {
    const entry = tokenizerEntry(key, value);
    if (entry) metadata[key] = entry;
  }

  const random = new SeededRandom(seed);
  const tensors: GgufTensorToWrite[] = [];
  const add = (name: string, tensor: GgufTensorToWrite) => tensors.push({ ...tensor, name });
  const { hidden, heads, kvHeads, ffn } = shape;
  // Logits = normed hidden · embedding rows: a spread of 0.5 per weight gives logits with a
  // standard deviation of about 8, so the top two ids rarely fall within rounding of each other.
  add('token_embd.weight', randomF32(random, [hidden, vocab], 0.5));
  for (let layer = 0; layer < shape.layers; layer++) {
    const p = `blk.${layer}.`;
    add(`${p}attn_norm.weight`, randomF32(random, [hidden], 0.1, 1));
    add(`${p}attn_q.weight`, randomF32(random, [hidden, heads * headDim], 1 / Math.sqrt(hidden)));
    add(`${p}attn_k.weight`, randomF32(random, [hidden, kvHeads * headDim], 1 / Math.sqrt(hidden)));
    add(`${p}attn_v.weight`, randomF32(random, [hidden, kvHeads * headDim], 1 / Math.sqrt(hidden)));
    if (arch === 'qwen3') {
      add(`${p}attn_q_norm.weight`, randomF32(random, [headDim], 0.1, 1));
      add(`${p}attn_k_norm.weight`, randomF32(random, [headDim], 0.1, 1));
    }
    add(`${p}attn_output.weight`, randomF32(random, [heads * headDim, hidden], 1 / Math.sqrt(hidden)));
    add(`${p}ffn_norm.weight`, randomF32(random, [hidden], 0.1, 1));
    add(`${p}ffn_gate.weight`, randomF32(random, [hidden, ffn], 1 / Math.sqrt(hidden)));
    add(`${p}ffn_up.weight`, randomF32(random, [hidden, ffn], 1 / Math.sqrt(hidden)));
    add(`${p}ffn_down.weight`, randomF32(random, [ffn, hidden], 1 / Math.sqrt(ffn)));
  }
  add('output_norm.weight', randomF32(random, [hidden], 0.1, 1));
  await writeGgufFile(path, { metadata, tensors });
}
