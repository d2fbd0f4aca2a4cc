// The precision plan as it crosses to the renderer's Quantization dropdown: for each precision,
// its size, where it would run, whether it fits, and what it costs in quality; plus the pick and,
// whenever the pick runs on the CPU, the reason why. Made by planPrecisions (main/engine/memory-plan/precision-plan.ts).
import { z } from 'zod';
import { PrecisionSchema } from './model-manifest.ts';

export const PlanDeviceSchema = z.enum(['gpu', 'cpu']);
export type PlanDevice = z.infer<typeof PlanDeviceSchema>;

export const FitBadgeSchema = z.enum(['fits-gpu', 'fits-ram-cpu', 'does-not-fit']);
export type FitBadge = z.infer<typeof FitBadgeSchema>;

export const PrecisionQualitySchema = z.object({
  /** Perplexity increase over fp32 as a fraction (0.006 = +0.6 %); null where nothing was measured. */
  perplexityIncrease: z.number().nullable(),
  /** reference: fp32 itself; measured: on this model; typical: measured on another model (see note); unmeasured. */
  basis: z.enum(['reference', 'measured', 'typical', 'unmeasured']),
  /** The other model a 'typical' figure was measured on (so the dropdown can say it is not this model's); null otherwise. */
  measuredOn: z.string().nullable(),
  /** What the dropdown shows, e.g. "about +0.6 % perplexity: typical, measured on shakespeare-5m, not on this model". */
  note: z.string(),
});
export type PrecisionQuality = z.infer<typeof PrecisionQualitySchema>;

const bytes = z.number().nonnegative();

export const PrecisionOptionSchema = z.object({
  precision: PrecisionSchema,
  /** The weights as stored (the size on disk). */
  weightBytes: bytes,
  /** Planned peak memory: weights, KV cache at the context length, and workspace. */
  memoryBytes: bytes,
  fit: FitBadgeSchema,
  /** Where it would run; null when it fits nowhere. */
  device: PlanDeviceSchema.nullable(),
  /** When it would run on the CPU: why not the GPU. */
  cpuReason: z.string().nullable(),
  quality: PrecisionQualitySchema,
  /** Anything else worth showing, e.g. that fp16 is slow on the CPU. */
  note: z.string().nullable(),
  /**
   * A model imported from a GGUF file: its own quantization as llama.cpp names it (e.g. "Q4_K_M")
   * on the option that builds the weights exactly as the file stores them ("Q4_K_M (as downloaded)";
   * its `precision` is the slot it is built and chosen under, fp32); absent or null on the others.
   */
  asDownloaded: z.string().nullable().optional(),
});
export type PrecisionOption = z.infer<typeof PrecisionOptionSchema>;

/** How an option is named to the user: "int8", or "Q4_K_M (as downloaded)". */
export function precisionOptionName(option: Pick<PrecisionOption, 'precision' | 'asDownloaded'>): string {
  return option.asDownloaded ? `${option.asDownloaded} (as downloaded)` : option.precision;
}

export const PrecisionPlanSchema = z.object({
  contextTokens: z.number().int().positive(),
  /** Fraction of each memory budget kept free (0.1: a plan must fit in 90 %). */
  headroom: z.number().min(0).max(1),
  /** The GPU planned for and the bytes it offers; null when no GPU can be used (see cpuReason). */
  gpu: z.object({ name: z.string(), budgetBytes: bytes }).nullable(),
  /** RAM the CPU plan may use. */
  ramBudgetBytes: bytes,
  /** One per precision, best quality first: fp32, fp16, int8, int4. */
  options: z.array(PrecisionOptionSchema),
  recommended: z.object({ precision: PrecisionSchema, device: PlanDeviceSchema }).nullable(),
  /** Set whenever the recommendation runs on the CPU: "no GPU found", "the WebGPU provider failed: …", "the model does not fit in … GB of VRAM at …". */
  cpuReason: z.string().nullable(),
  /** One sentence for the user: the pick and its memory, or why nothing fits and what to change. */
  message: z.string(),
});
export type PrecisionPlan = z.infer<typeof PrecisionPlanSchema>;
