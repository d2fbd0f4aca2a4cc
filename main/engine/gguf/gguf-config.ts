// Turns a GGUF file's metadata (general.architecture and the `<arch>.*` keys) into the
// config.json that Hugging Face would have for the same model, so the architectures' own config
// schemas and toSpec fold it into a ModelSpec exactly as they fold a downloaded folder's config.
// The fields each family reads are in gguf-architectures.ts; the vocabulary size, the tied head
// and the special token ids are common to all of them and read here.
import { GGUF_ARCHITECTURES, type GgufArchitecture } from './gguf-architectures.ts';
import { GgufError, type GgufHeader } from './gguf-file.ts';
import { MetadataReader } from './gguf-metadata.ts';

/** Llama 3.1 and later: the rotary scaling as one divisor per frequency (llama3-rope-factors.ts). */
export const ROPE_FREQS = 'rope_freqs.weight';
export const TOKEN_EMBEDDING = 'token_embd.weight';
export const OUTPUT = 'output.weight';

/** Tensors that carry model behaviour the spec cannot express yet; a file holding them is refused rather than run wrongly. */
const UNSUPPORTED_TENSORS: Readonly<Record<string, string>> = {
  'rope_factors_long.weight': 'LongRoPE factors (rope_factors_long)',
  'rope_factors_short.weight': 'LongRoPE factors (rope_factors_short)',
};

export function ggufArchitecture(header: GgufHeader): { name: string; architecture: GgufArchitecture } {
  const name = header.metadata.get('general.architecture');
  const supported = Object.keys(GGUF_ARCHITECTURES).join(', ');
  if (typeof name !== 'string') throw new GgufError(header.path, `has no general.architecture string, so its architecture is unknown (Hearth builds ${supported}).`);
  const architecture = Object.hasOwn(GGUF_ARCHITECTURES, name) ? GGUF_ARCHITECTURES[name] : undefined;
  if (!architecture) throw new GgufError(header.path, `is a "${name}" model; Hearth builds GGUF files of the architectures ${supported}. Pick a model of a supported architecture.`);
  for (const [tensor, what] of Object.entries(UNSUPPORTED_TENSORS)) {
    if (header.tensors.has(tensor)) throw new GgufError(header.path, `holds ${what}, which Hearth does not implement yet. Pick another model.`);
  }
  if (header.tensors.has(ROPE_FREQS) && name !== 'llama') {
    throw new GgufError(header.path, `holds per-frequency rotary divisors (${ROPE_FREQS}), which Hearth reads only as a llama model's Llama 3 scaling. Pick another model.`);
  }
  return { name, architecture };
}

export interface GgufConfigInput {
  /** The rope_freqs tensor, decoded, when the file has one. */
  ropeFactors: Float32Array | null;
  /** output.weight is a copy of token_embd.weight (GPT-2's and BLOOM's converters write the tied head twice). */
  outputIsEmbedding: boolean;
  /** The ids llama.cpp ends generation at (gguf-tokenizer.ts), or null to take eos and eot from the metadata. */
  endOfGenerationIds?: number[] | null;
}

/** The config.json of the model this GGUF file holds. */
export function configFromGguf(header: GgufHeader, input: GgufConfigInput = { ropeFactors: null, outputIsEmbedding: false }): Record<string, unknown> {
  const { name, architecture } = ggufArchitecture(header);
  const meta = new MetadataReader(header, name);
  const embedding = header.tensors.get(TOKEN_EMBEDDING);
  const tokens = header.metadata.get('tokenizer.ggml.tokens');
  const eos = meta.tokenId('eos_token_id');
  const eot = meta.tokenId('eot_token_id');
  return {
    model_type: architecture.modelType,
    vocab_size: meta.optionalNumber('vocab_size') ?? embedding?.dims[1] ?? (Array.isArray(tokens) ? tokens.length : undefined),
    ...architecture.config(meta, input.ropeFactors, header.path),
    tie_word_embeddings: !header.tensors.has(OUTPUT) || input.outputIsEmbedding,
    bos_token_id: meta.tokenId('bos_token_id'),
    // llama.cpp ends generation at the end-of-turn token as well as at eos (and at the turn ends it knows by name).
    eos_token_id: input.endOfGenerationIds?.length ? input.endOfGenerationIds : eot !== undefined && eos !== undefined && eot !== eos ? [eos, eot] : (eos ?? eot),
    pad_token_id: meta.tokenId('padding_token_id'),
  };
}
