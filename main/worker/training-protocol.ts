// The messages between the main side (the jobs service) and the training worker process, which
// runs one fine-tune job and exits: one zod schema per message, validated by each side on
// receipt. Like the inference worker's protocol, every message is plain JSON (no NaN: a loss
// that is not a finite number fails the job instead of crossing the boundary).
import { z } from 'zod';
import { FinetuneConfigSchema, PreferenceRewardsSchema } from '../common/contracts/jobs.ts';

// ---- host → worker ----

/** Runs the job; it continues from the last checkpoint in outDir when there is one. */
export const StartTrainingRequestSchema = z.object({
  type: z.literal('start'),
  jobId: z.string().min(1),
  /** The base model's Hugging Face folder. */
  baseDir: z.string().min(1),
  dataPath: z.string().min(1),
  evalDataPath: z.string().min(1).nullable(),
  /** Where checkpoints, metrics.jsonl and the finished adapter go. */
  outDir: z.string().min(1),
  config: FinetuneConfigSchema,
});
export type StartTrainingRequest = z.infer<typeof StartTrainingRequestSchema>;

/** Stops at the next step boundary, after writing a checkpoint; the worker then reports 'finished' (cancelled) and exits. */
export const CancelTrainingRequestSchema = z.object({ type: z.literal('cancel') });

/** Exits; the host sends it once it has the final message (a worker that exited on its own might lose that message in flight). */
export const ShutdownTrainingRequestSchema = z.object({ type: z.literal('shutdown') });

export const TrainingRequestSchema = z.discriminatedUnion('type', [StartTrainingRequestSchema, CancelTrainingRequestSchema, ShutdownTrainingRequestSchema]);
export type TrainingRequest = z.infer<typeof TrainingRequestSchema>;

// ---- worker → host ----

export const TrainingReadySchema = z.object({ type: z.literal('ready'), pid: z.number().int() });

/** The data is read and the graphs are built: how many steps the job takes, what the data held. */
export const TrainingPreparedSchema = z.object({
  type: z.literal('prepared'),
  totalSteps: z.number().int().positive(),
  trainExamples: z.number().int().nonnegative(),
  evalExamples: z.number().int().nonnegative(),
  truncated: z.number().int().nonnegative(),
  trainableParameters: z.number().int().nonnegative(),
});

/** The job continues from a checkpoint at `step`: the steps after it are trained again. */
export const TrainingResumedSchema = z.object({ type: z.literal('resumed'), step: z.number().int().nonnegative() });

export const TrainingStepSchema = z.object({
  type: z.literal('step'),
  step: z.number().int().positive(),
  totalSteps: z.number().int().positive(),
  loss: z.number(),
  lr: z.number(),
  tokensPerSecond: z.number().nonnegative(),
  etaMs: z.number().nonnegative(),
  /** DPO: the rewards on this step's pairs. */
  rewards: PreferenceRewardsSchema.optional(),
});
export type TrainingStep = z.infer<typeof TrainingStepSchema>;

export const TrainingEvalSchema = z.object({ type: z.literal('eval'), step: z.number().int().nonnegative(), evalLoss: z.number(), rewards: PreferenceRewardsSchema.optional() });

export const TrainingCheckpointSchema = z.object({ type: z.literal('checkpoint'), step: z.number().int().nonnegative() });

/** The run ended: completed (the adapter is in `adapterDir`) or cancelled (a checkpoint was written). */
export const TrainingFinishedSchema = z.object({
  type: z.literal('finished'),
  status: z.enum(['completed', 'cancelled']),
  step: z.number().int().nonnegative(),
  adapterDir: z.string().nullable(),
});
export type TrainingFinished = z.infer<typeof TrainingFinishedSchema>;

/** The run failed (bad data, a model it cannot train, a loss that diverged); the message is for the user. */
export const TrainingFailedSchema = z.object({ type: z.literal('failed'), message: z.string() });

export const TrainingReplySchema = z.discriminatedUnion('type', [
  TrainingReadySchema,
  TrainingPreparedSchema,
  TrainingResumedSchema,
  TrainingStepSchema,
  TrainingEvalSchema,
  TrainingCheckpointSchema,
  TrainingFinishedSchema,
  TrainingFailedSchema,
]);
export type TrainingReply = z.infer<typeof TrainingReplySchema>;
