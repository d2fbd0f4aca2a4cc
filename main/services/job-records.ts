// Store records of fine-tune jobs as the API shows them. The stored config is checked against
// the contract on the way out (a config that no longer parses shows the defaults rather than
// failing the list), and the checkpoint a resume would continue from is read from the job's
// folder, the one place that knows it for sure.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError } from '../common/contracts/api-error.ts';
import { DEFAULT_FINETUNE_CONFIG, FinetuneConfigSchema, type FinetuneConfig, type Job, type JobMetric } from '../common/contracts/jobs.ts';
import type { JobMetricRecord, JobRecord } from '../store/jobs-repository.ts';
import type { Store } from '../store/store.ts';
import { CHECKPOINTS_DIR } from '../train/training-checkpoint.ts';

export function requireJob(store: Store, jobId: string): JobRecord {
  const job = store.jobs.get(jobId);
  if (!job) throw new ApiError('not-found', `There is no fine-tune job ${jobId} (was it deleted?).`);
  return job;
}

export function configOf(job: JobRecord): FinetuneConfig {
  const parsed = FinetuneConfigSchema.safeParse(job.config);
  return parsed.success ? parsed.data : DEFAULT_FINETUNE_CONFIG;
}

/** The step of the newest complete checkpoint in the job's folder (checkpoints/step-000040), or null. */
export function lastCheckpointStep(outputDir: string | null): number | null {
  if (!outputDir) return null;
  let entries: string[];
  try {
    entries = readdirSync(join(outputDir, CHECKPOINTS_DIR));
  } catch {
    return null;
  }
  const steps = entries.map((name) => /^step-(\d+)$/.exec(name)?.[1]).filter((step): step is string => step !== undefined).map(Number);
  return steps.length ? Math.max(...steps) : null;
}

export function jobOf(store: Store, job: JobRecord, etaMs: number | null = null): Job {
  const adapter = store.adapters.forJob(job.id);
  const resumable = (job.state === 'cancelled' || job.state === 'failed') && job.trainPath !== null;
  return {
    id: job.id,
    baseModelId: job.baseModelId,
    trainPath: job.trainPath,
    evalPath: job.evalPath,
    config: configOf(job),
    state: job.state,
    error: job.error,
    resumable,
    checkpointStep: job.state === 'completed' ? null : lastCheckpointStep(job.outputDir),
    progress: { step: job.step, totalSteps: job.totalSteps, etaMs: job.state === 'running' ? etaMs : null },
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    adapterId: adapter?.id ?? null,
    adapterDir: adapter?.dir ?? null,
  };
}

export function metricOf(record: JobMetricRecord): JobMetric {
  return { step: record.step, trainLoss: record.trainLoss, evalLoss: record.evalLoss, lr: record.learningRate, tokensPerSecond: record.tokensPerSecond, rewards: record.rewards, evalRewards: record.evalRewards };
}
