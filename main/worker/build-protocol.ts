// The messages between the main side (VariantBuilds) and the build worker process, which builds
// one variant (or one build with an adapter folded in) into a partial folder and exits: one zod
// schema per message, validated by each side on receipt. Builds run there, not in the main
// process, because quantizing is long synchronous work that would freeze the app. Like the other
// workers' protocols, every message is plain JSON, and a failed build crosses as data: the
// error's message, with its API error code when the builder raised one.
import { z } from 'zod';
import { ApiErrorCodeSchema } from '../common/contracts/api-error.ts';
import { AttentionModeSchema, Int8KernelSchema, PrecisionSchema } from '../common/model-manifest.ts';

// ---- host → worker ----

/** Builds `sourceDir` into `outDir` (the partial folder; the host moves it into place once 'built' arrives). */
export const StartBuildRequestSchema = z.object({
  type: z.literal('start'),
  /** The model's Hugging Face folder or GGUF file. */
  sourceDir: z.string().min(1),
  /** A PEFT adapter folder to fold into the weights (buildAdaptedModel), or null for the model as it is (buildModel). */
  adapterDir: z.string().min(1).nullable(),
  outDir: z.string().min(1),
  precision: PrecisionSchema,
  attention: AttentionModeSchema,
  int8Kernel: Int8KernelSchema.nullable(),
  /** A GGUF file's fp32 slot: built as downloaded (its quantized blocks kept). */
  asDownloaded: z.boolean(),
  /** The planner's figure for the weights this build writes, from which progress and the time left are told; null when unknown. */
  expectedWeightBytes: z.number().int().positive().nullable(),
});
export type StartBuildRequest = z.infer<typeof StartBuildRequestSchema>;

/** Exits; the host sends it once it has the final message. */
export const ShutdownBuildRequestSchema = z.object({ type: z.literal('shutdown') });

export const BuildRequestSchema = z.discriminatedUnion('type', [StartBuildRequestSchema, ShutdownBuildRequestSchema]);
export type BuildRequest = z.infer<typeof BuildRequestSchema>;

// ---- worker → host ----

export const BuildReadySchema = z.object({ type: z.literal('ready'), pid: z.number().int() });

/** Where the build is: the builder's step (`done` of `total`, named by `label`), the bytes in the partial folder, and the time left. */
export const BuildProgressSchema = z.object({
  type: z.literal('progress'),
  done: z.number().int().nonnegative(),
  total: z.number().int().positive(),
  label: z.string(),
  bytesWritten: z.number().int().nonnegative(),
  /** Milliseconds left, estimated from the rate so far; null until there is enough to tell. */
  etaMs: z.number().nonnegative().nullable(),
});
export type BuildProgress = z.infer<typeof BuildProgressSchema>;

/** The build is complete in the partial folder. */
export const BuildBuiltSchema = z.object({ type: z.literal('built'), weightBytes: z.number().int().nonnegative() });

/** The build failed; `message` is the builder's, written for the user, and `code` the API error code it carried, if any. */
export const BuildFailedSchema = z.object({ type: z.literal('failed'), message: z.string(), code: ApiErrorCodeSchema.nullable() });

export const BuildReplySchema = z.discriminatedUnion('type', [BuildReadySchema, BuildProgressSchema, BuildBuiltSchema, BuildFailedSchema]);
export type BuildReply = z.infer<typeof BuildReplySchema>;
