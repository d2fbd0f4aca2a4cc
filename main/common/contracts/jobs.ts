// Fine-tuning as the UI sees it: a job's settings (LoRA and training, with the defaults PEFT and
// TRL users expect), the job itself with its progress, the loss curve, the preview of a dataset
// file before launch, and the adapters a job produces (or that were made by PEFT elsewhere).
import { z } from 'zod';

/**
 * 'all-linear', or module names separated by commas (q_proj,v_proj): PEFT's target_modules. The
 * llama-style names, then those of phi3, gpt2, gpt_neox/bloom and mpt; which fit the model is
 * checked when the job starts (train/lora-targets.ts).
 */
export const LORA_TARGET_MODULES = [
  'q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj',
  'qkv_proj', 'gate_up_proj', 'c_attn', 'c_proj', 'c_fc', 'query_key_value', 'dense', 'dense_h_to_4h', 'dense_4h_to_h', 'Wqkv', 'out_proj',
] as const;
const TARGETS_PATTERN = new RegExp(`^(all-linear|(${LORA_TARGET_MODULES.join('|')})( *, *(${LORA_TARGET_MODULES.join('|')}))*)$`);

export const LR_SCHEDULE_NAMES = ['linear', 'cosine', 'constant'] as const;

/**
 * The precision of the frozen base while training (QLoRA at int8/int4: MatMulNBits blocks as the
 * inference builds pack them; fp16 only on the GPU). The adapter is the same PEFT adapter whatever
 * the base's precision, applied to the full-precision base as PEFT applies it.
 */
export const BASE_DTYPES = ['fp32', 'fp16', 'int8', 'int4'] as const;
export const BaseDtypeSchema = z.enum(BASE_DTYPES);
export type BaseDtype = z.infer<typeof BaseDtypeSchema>;

/** Learning rate for models of a few billion parameters and up, as in PEFT's and QLoRA's recipes. */
export const DEFAULT_LEARNING_RATE = 2e-4;
/** Tiny models (the demo, tests) learn a task in a few hundred steps only at a ten times higher rate. */
export const SMALL_MODEL_LEARNING_RATE = 2e-3;
const SMALL_MODEL_PARAMETERS = 100e6;

/**
 * The learning rate the form starts with for a model: 2e-4 (the contract's default) for real
 * models, where 2e-3 makes LoRA diverge; 2e-3 under 100 M parameters, where 2e-4 barely moves
 * the loss in the steps a demo run takes.
 */
export function suggestedLearningRate(parameters: number): number {
  return parameters < SMALL_MODEL_PARAMETERS ? SMALL_MODEL_LEARNING_RATE : DEFAULT_LEARNING_RATE;
}

/** 'sft': learn the answers of chat/Alpaca/text rows; 'dpo': Direct Preference Optimization on TRL preference pairs. */
export const FINETUNE_METHODS = ['sft', 'dpo'] as const;
export const FinetuneMethodSchema = z.enum(FINETUNE_METHODS);
export type FinetuneMethod = z.infer<typeof FinetuneMethodSchema>;
/** TRL's default β for DPO. */
export const DEFAULT_DPO_BETA = 0.1;

export const FinetuneConfigSchema = z.object({
  method: FinetuneMethodSchema.default('sft'),
  /** DPO's β: larger keeps the policy closer to the base model (the reference). */
  beta: z.number().positive().max(100).default(DEFAULT_DPO_BETA),
  /** LoRA rank. */
  r: z.number().int().min(1).max(1024).default(8),
  /** LoRA alpha: the update is scaled by alpha / r. */
  alpha: z.number().positive().max(100_000).default(16),
  dropout: z.number().min(0).lt(1).default(0),
  targets: z.string().trim().regex(TARGETS_PATTERN, 'use all-linear or module names such as q_proj,v_proj').default('all-linear'),
  learningRate: z.number().positive().max(1).default(DEFAULT_LEARNING_RATE),
  /** Rows per micro-batch. */
  batchSize: z.number().int().min(1).max(1024).default(8),
  /** Micro-batches per optimizer step. */
  gradAccum: z.number().int().min(1).max(1024).default(1),
  /** Optimizer steps; null: as many as `epochs` passes over the training rows take. */
  steps: z.number().int().min(1).max(10_000_000).nullable().default(300),
  epochs: z.number().positive().max(10_000).default(3),
  warmupSteps: z.number().int().min(0).max(10_000_000).default(0),
  schedule: z.enum(LR_SCHEDULE_NAMES).default('linear'),
  weightDecay: z.number().min(0).max(10).default(0),
  /** Tokens per example; longer ones are truncated (and counted). */
  maxLength: z.number().int().min(8).max(1_048_576).default(512),
  /** Evaluate every N steps (0: only at the end). */
  evalEvery: z.number().int().min(0).default(50),
  /** Checkpoint every N steps (0: only when cancelled). */
  checkpointEvery: z.number().int().min(0).default(50),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  /** The frozen base's precision while training (BASE_DTYPES). */
  baseDtype: BaseDtypeSchema.default('fp32'),
});
/** The settings with every default filled in. */
export type FinetuneConfig = z.infer<typeof FinetuneConfigSchema>;
/** The settings as a caller may give them: any field left out takes its default. */
export type FinetuneConfigInput = z.input<typeof FinetuneConfigSchema>;

export const DEFAULT_FINETUNE_CONFIG: FinetuneConfig = FinetuneConfigSchema.parse({});

export const JobStateSchema = z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']);
export type JobState = z.infer<typeof JobStateSchema>;

export const JobProgressSchema = z.object({
  /** Optimizer steps done (kept across a resume). */
  step: z.number().int().nonnegative(),
  /** Null until the job has read its data and knows. */
  totalSteps: z.number().int().positive().nullable(),
  /** Estimated time left while it runs. */
  etaMs: z.number().nonnegative().nullable(),
});
export type JobProgress = z.infer<typeof JobProgressSchema>;

export const JobSchema = z.object({
  id: z.string(),
  baseModelId: z.string(),
  /** The training and evaluation JSONL files (null for a job recorded before Hearth kept them). */
  trainPath: z.string().nullable(),
  evalPath: z.string().nullable(),
  config: FinetuneConfigSchema,
  state: JobStateSchema,
  error: z.string().nullable(),
  /** A cancelled or failed job can continue (from its last checkpoint when it has one). */
  resumable: z.boolean(),
  /** The step of the last checkpoint on disk, where a resume continues; null when there is none. */
  checkpointStep: z.number().int().nonnegative().nullable(),
  progress: JobProgressSchema,
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  /** The adapter a completed job produced (PEFT files), and its folder. */
  adapterId: z.string().nullable(),
  adapterDir: z.string().nullable(),
});
export type Job = z.infer<typeof JobSchema>;

/**
 * DPO's rewards at a step, as TRL logs them: the mean implicit reward β·log(π/π_ref) of the chosen
 * and of the rejected completions, their mean margin, and the share of pairs the chosen one wins.
 */
export const PreferenceRewardsSchema = z.object({
  chosen: z.number(),
  rejected: z.number(),
  margin: z.number(),
  accuracy: z.number().min(0).max(1),
});
export type PreferenceRewards = z.infer<typeof PreferenceRewardsSchema>;

/** One point of the loss curve; a step's eval loss may come without a train loss and the reverse. */
export const JobMetricSchema = z.object({
  step: z.number().int().nonnegative(),
  trainLoss: z.number().nullable(),
  evalLoss: z.number().nullable(),
  lr: z.number().nullable(),
  tokensPerSecond: z.number().nullable(),
  /** DPO jobs: the rewards on the step's pairs, and on the eval pairs. */
  rewards: PreferenceRewardsSchema.nullable().optional(),
  evalRewards: PreferenceRewardsSchema.nullable().optional(),
});
export type JobMetric = z.infer<typeof JobMetricSchema>;

export const JobDetailSchema = JobSchema.extend({ metrics: z.array(JobMetricSchema) });
export type JobDetail = z.infer<typeof JobDetailSchema>;

export const DatasetProblemSchema = z.object({ line: z.number().int().positive(), message: z.string() });
export type DatasetProblem = z.infer<typeof DatasetProblemSchema>;

/** A dataset row as the preview shows it: its line, its shape and its text, shortened. */
export const DatasetPreviewRowSchema = z.object({
  line: z.number().int().positive(),
  kind: z.enum(['chat', 'alpaca', 'text', 'preference']),
  text: z.string(),
});

export const DatasetPreviewSchema = z.object({
  /** The file read (its real path). */
  path: z.string(),
  /** Good rows, by shape. */
  rows: z.number().int().nonnegative(),
  counts: z.object({ chat: z.number().int(), alpaca: z.number().int(), text: z.number().int(), preference: z.number().int().optional() }),
  firstRows: z.array(DatasetPreviewRowSchema),
  /** The first bad lines; `problemCount` says how many there are in all. */
  problems: z.array(DatasetProblemSchema),
  problemCount: z.number().int().nonnegative(),
  /** Whether a job can train on the file as it is (no bad line, at least one row). */
  ok: z.boolean(),
});
export type DatasetPreview = z.infer<typeof DatasetPreviewSchema>;

/** `method` says how to read the file: SFT rows, or DPO's preference pairs (default sft). */
/** What the form asks the training memory plan about: the job's shape, before it is created. */
export const TrainingPlanInputSchema = z.object({
  baseModelId: z.string().min(1),
  method: FinetuneMethodSchema.default('sft'),
  r: z.number().int().min(1).max(1024),
  targets: z.string().trim().min(1).max(200),
  batchSize: z.number().int().min(1).max(1024),
  /** Tokens per example: the plan is for rows this long. */
  maxLength: z.number().int().min(8).max(1_048_576),
});
export type TrainingPlanInput = z.input<typeof TrainingPlanInputSchema>;

/** The job's memory per base precision (the training memory plan), and whether it fits this machine's RAM with 10 % free. */
export const TrainingPlanSchema = z.object({
  ramTotalBytes: z.number().nonnegative(),
  options: z.array(
    z.object({
      baseDtype: BaseDtypeSchema,
      /** Null where the trainer cannot use this precision here (fp16 needs the GPU). */
      totalBytes: z.number().nonnegative().nullable(),
      fits: z.boolean(),
      note: z.string(),
    }),
  ),
});
export type TrainingPlan = z.infer<typeof TrainingPlanSchema>;

export const PreviewDatasetInputSchema = z.object({ path: z.string().min(1).max(4096), method: FinetuneMethodSchema.optional() });

export const CreateJobInputSchema = z.object({
  baseModelId: z.string().min(1),
  trainPath: z.string().min(1).max(4096),
  /** Without it, 10 % of the training rows are held out (when there are at least 10). */
  evalPath: z.string().min(1).max(4096).nullable().optional(),
  config: FinetuneConfigSchema,
});
export type CreateJobInput = z.input<typeof CreateJobInputSchema>;

export const JobIdInputSchema = z.object({ jobId: z.string().min(1) });

export const AdapterSourceSchema = z.enum(['trained', 'imported']);

export const AdapterSchema = z.object({
  id: z.string(),
  baseModelId: z.string(),
  name: z.string(),
  source: AdapterSourceSchema,
  /** The job that trained it, while that job is kept. */
  jobId: z.string().nullable(),
  /** LoRA rank and alpha, read from its adapter_config.json. */
  r: z.number().int().positive(),
  alpha: z.number(),
  createdAt: z.number(),
});
export type Adapter = z.infer<typeof AdapterSchema>;

export const ImportAdapterInputSchema = z.object({
  /** A folder holding PEFT's adapter_config.json and adapter_model.safetensors. */
  path: z.string().min(1).max(4096),
  baseModelId: z.string().min(1),
  name: z.string().trim().min(1).max(200).optional(),
});

export const AdapterIdInputSchema = z.object({ adapterId: z.string().min(1) });

export const MergeAdapterInputSchema = z.object({ adapterId: z.string().min(1), name: z.string().trim().min(1).max(200) });
