// hearth.json: written beside every built model.onnx, read by the runtime and the library.
import { z } from 'zod';
import { ARCHITECTURES } from './model-spec.ts';

export const PRECISIONS = ['fp32', 'fp16', 'int8', 'int4'] as const;
export type Precision = (typeof PRECISIONS)[number];
export const PrecisionSchema = z.enum(PRECISIONS);

export const AttentionModeSchema = z.enum(['fused', 'reference']);
export type AttentionMode = z.infer<typeof AttentionModeSchema>;

const NormSchema = z.object({
  kind: z.enum(['rms', 'layer']),
  eps: z.number(),
  weightOffset: z.union([z.literal(0), z.literal(1)]),
  bias: z.boolean(),
});

const RopeScalingSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('linear'), factor: z.number() }),
  z.object({
    type: z.literal('llama3'),
    factor: z.number(),
    lowFreqFactor: z.number(),
    highFreqFactor: z.number(),
    originalMaxPositionEmbeddings: z.number(),
  }),
]);

export const ModelSpecSchema = z.object({
  architecture: z.enum(ARCHITECTURES),
  vocabSize: z.number().int().positive(),
  hiddenSize: z.number().int().positive(),
  numLayers: z.number().int().positive(),
  contextLength: z.number().int().positive(),
  norm: NormSchema,
  positions: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('rope'),
      theta: z.number(),
      rotaryDim: z.number().int(),
      scaling: RopeScalingSchema.nullable(),
      frequencyPrecision: z.enum(['float32', 'bfloat16', 'float16']),
    }),
    z.object({ kind: z.literal('alibi'), slopes: z.array(z.number()) }),
    z.object({ kind: z.literal('learned'), maxPositions: z.number().int() }),
  ]),
  attention: z.object({
    numHeads: z.number().int().positive(),
    numKvHeads: z.number().int().positive(),
    headDim: z.number().int().positive(),
    qkvBias: z.boolean(),
    outBias: z.boolean(),
    qkNorm: z.boolean(),
    slidingWindow: z.number().int().nullable(),
    scale: z.number(),
  }),
  mlp: z.object({
    kind: z.enum(['gated', 'plain']),
    activation: z.enum(['silu', 'gelu', 'gelu_tanh']),
    intermediateSize: z.number().int().positive(),
    bias: z.boolean(),
  }),
  residual: z.enum(['sequential', 'parallel']),
  embeddingScale: z.number().nullable(),
  embeddingNorm: z.boolean(),
  tiedEmbeddings: z.boolean(),
  bosTokenId: z.number().int().nullable(),
  eosTokenIds: z.array(z.number().int()),
  padTokenId: z.number().int().nullable(),
});

/** How int8 weights are multiplied: 'dynamic' (integer GEMM, CPU only) or 'blockwise' (MatMulNBits, GPU too). */
export const Int8KernelSchema = z.enum(['blockwise', 'dynamic']);
export type Int8Kernel = z.infer<typeof Int8KernelSchema>;

/**
 * A build from a GGUF file: the file's type as llama.cpp names it (general.file_type, e.g.
 * "Q4_K_M"; "F32"), how many tensors it holds of each ggml type (e.g. { F32: 17, Q4_K: 20, Q6_K: 5 }),
 * and whether the weights were kept as the file stores them (asDownloaded: the build's `precision`
 * is then only the nearest of Hearth's own precisions, for planning) or quantized again to `precision` (--dtype).
 */
export const GgufSourceFormatSchema = z.object({
  kind: z.literal('gguf'),
  fileType: z.string(),
  tensorTypes: z.record(z.string(), z.number().int().nonnegative()),
  asDownloaded: z.boolean(),
});
export type GgufSourceFormat = z.infer<typeof GgufSourceFormatSchema>;

export const MANIFEST_FILE = 'hearth.json';
export const MANIFEST_FORMAT = 1;

export const ModelManifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  builderVersion: z.string(),
  spec: ModelSpecSchema,
  precision: PrecisionSchema,
  attention: AttentionModeSchema,
  /** int8 builds, and int4 ones for their 8-bit matrices: 'dynamic' (integer GEMM, CPU only) or 'blockwise' (MatMulNBits, GPU too); null otherwise (and in int4 builds before builder version 5). */
  int8Kernel: Int8KernelSchema.nullable(),
  /** Element type of the KV cache and of the graph's float activations. */
  kvDtype: z.enum(['float32', 'float16']),
  /** Bytes of weights as stored (external data plus inline initializers). */
  weightBytes: z.number().int().nonnegative(),
  graphFile: z.string(),
  dataFile: z.string(),
  /** An int8 graph with the same inputs and outputs used for prompts (int4 builds, opt-in). */
  prefillGraphFile: z.string().nullable(),
  /** sha256 over the source config.json and the safetensors headers. */
  sourceHash: z.string(),
  createdAt: z.string(),
  /** Present when the model was built from a GGUF file (absent for Hugging Face folders and older builds). */
  sourceFormat: GgufSourceFormatSchema.optional(),
});
export type ModelManifest = z.infer<typeof ModelManifestSchema>;

/** How a build's precision is shown: a GGUF file built as downloaded by its own type ("Q4_K_M (as downloaded)"), else the precision. */
export function builtPrecisionLabel(manifest: Pick<ModelManifest, 'precision' | 'sourceFormat'>): string {
  return manifest.sourceFormat?.asDownloaded ? `${manifest.sourceFormat.fileType} (as downloaded)` : manifest.precision;
}
