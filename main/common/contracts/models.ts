// The model library as the UI sees it.
import { z } from 'zod';
import { ARCHITECTURES } from '../model-spec.ts';
import { AttentionModeSchema, PrecisionSchema } from '../model-manifest.ts';
import { PrecisionPlanSchema } from '../precision-plan-contract.ts';

export const VariantStatusSchema = z.enum(['building', 'ready', 'failed']);

export const ModelVariantSchema = z.object({
  id: z.string(),
  precision: PrecisionSchema,
  attention: AttentionModeSchema,
  status: VariantStatusSchema,
  weightBytes: z.number().nullable(),
  /** Peak memory measured after the last load, to show next to the estimate. */
  measuredPeakBytes: z.number().nullable(),
  error: z.string().nullable(),
});
export type ModelVariant = z.infer<typeof ModelVariantSchema>;

export const ModelSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  architecture: z.enum(ARCHITECTURES),
  parameters: z.number(),
  contextLength: z.number(),
  sizeOnDiskBytes: z.number(),
  bundled: z.boolean(),
  variants: z.array(ModelVariantSchema),
  /** Set for a model imported from a GGUF file; absent or null for a Hugging Face folder. */
  gguf: z
    .object({
      /** Where the file is read from: the user's own path, or the copy in Hearth's data directory. */
      path: z.string(),
      /** The file's own quantization as llama.cpp names it, e.g. "Q4_K_M". */
      fileType: z.string(),
      /** Bytes its weights take as stored in the file. */
      weightBytes: z.number(),
      /** Whether Hearth copied the file into its data directory (deleted with the model). */
      copied: z.boolean(),
    })
    .nullable()
    .optional(),
});
export type ModelSummary = z.infer<typeof ModelSummarySchema>;

export const ImportModelInputSchema = z.object({
  /** An absolute path to a Hugging Face model folder (config.json, safetensors, tokenizer), or to a GGUF file. */
  path: z.string().min(1),
  name: z.string().min(1).max(200).optional(),
  /** A GGUF file only: copy it into Hearth's data directory instead of reading it where it is. */
  copy: z.boolean().optional(),
});
export type ImportModelInput = z.infer<typeof ImportModelInputSchema>;

export const ModelIdInputSchema = z.object({ modelId: z.string() });

export const PlanInputSchema = z.object({ modelId: z.string(), contextTokens: z.number().int().positive() });
export const ModelPlanSchema = z.object({ modelId: z.string(), plan: PrecisionPlanSchema });
export type ModelPlan = z.infer<typeof ModelPlanSchema>;

export const BuildVariantInputSchema = z.object({ modelId: z.string(), precision: PrecisionSchema });

/** Which precision's quality to measure, and the context length of the plan to answer with (the chat default when absent). */
export const MeasureQualityInputSchema = z.object({ modelId: z.string(), precision: PrecisionSchema, contextTokens: z.number().int().positive().optional() });
