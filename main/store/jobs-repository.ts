// Fine-tune jobs and the metrics they report per training step. The jobs table also holds downloads
// (kind 'download', downloads-repository.ts); this repository sees only the fine-tunes.
import { randomUUID } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { PreferenceRewards } from '../common/contracts/jobs.ts';
import type { StoreDatabase } from './database.ts';
import { fromJsonObjectColumn, toJsonColumn, type JsonObject } from './json-column.ts';

export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export const FINAL_JOB_STATES: readonly JobState[] = ['completed', 'failed', 'cancelled'];

export interface JobRecord {
  id: string;
  baseModelId: string;
  config: JsonObject;
  state: JobState;
  error: string | null;
  outputDir: string | null;
  /** The JSONL files it trains and evaluates on (null for jobs recorded before schema version 4). */
  trainPath: string | null;
  evalPath: string | null;
  /** Optimizer steps done, and how many the job will take once it knows (null before). */
  step: number;
  totalSteps: number | null;
  createdAt: number;
  /** When the job last entered 'queued' (null while it is in another state); queued jobs start in this order. */
  queuedAt: number | null;
  /** When the job first entered 'running'. */
  startedAt: number | null;
  /** When the job entered a final state. */
  finishedAt: number | null;
}

export interface NewJob {
  id?: string;
  baseModelId: string;
  config: JsonObject;
  outputDir?: string | null;
  trainPath?: string | null;
  evalPath?: string | null;
}

export interface JobMetricRecord {
  jobId: string;
  step: number;
  trainLoss: number | null;
  evalLoss: number | null;
  learningRate: number | null;
  tokensPerSecond: number | null;
  /** DPO: rewards on the step's pairs and on the eval pairs (null for SFT jobs and steps without them). */
  rewards: PreferenceRewards | null;
  evalRewards: PreferenceRewards | null;
  createdAt: number;
}

/** A step's metrics; reporting the same step again fills in the values given (an eval loss computed later). */
export interface JobMetricInput {
  step: number;
  trainLoss?: number | null;
  evalLoss?: number | null;
  learningRate?: number | null;
  tokensPerSecond?: number | null;
  rewards?: PreferenceRewards | null;
  evalRewards?: PreferenceRewards | null;
}

interface JobRow {
  id: string;
  base_model_id: string;
  config_json: string;
  state: JobState;
  error: string | null;
  output_dir: string | null;
  train_path: string | null;
  eval_path: string | null;
  step: number;
  total_steps: number | null;
  created_at: number;
  queued_at: number | null;
  started_at: number | null;
  finished_at: number | null;
}

interface JobMetricRow {
  job_id: string;
  step: number;
  train_loss: number | null;
  eval_loss: number | null;
  lr: number | null;
  tokens_per_second: number | null;
  rewards_chosen: number | null;
  rewards_rejected: number | null;
  rewards_margin: number | null;
  rewards_accuracy: number | null;
  eval_rewards_chosen: number | null;
  eval_rewards_rejected: number | null;
  eval_rewards_margin: number | null;
  eval_rewards_accuracy: number | null;
  created_at: number;
}

function jobFromRow(row: JobRow): JobRecord {
  return {
    id: row.id,
    baseModelId: row.base_model_id,
    config: fromJsonObjectColumn(row.config_json, `jobs.config_json of job ${row.id}`),
    state: row.state,
    error: row.error,
    outputDir: row.output_dir,
    trainPath: row.train_path,
    evalPath: row.eval_path,
    step: row.step,
    totalSteps: row.total_steps,
    createdAt: row.created_at,
    queuedAt: row.queued_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

function metricFromRow(row: JobMetricRow): JobMetricRecord {
  return {
    jobId: row.job_id,
    step: row.step,
    trainLoss: row.train_loss,
    evalLoss: row.eval_loss,
    learningRate: row.lr,
    tokensPerSecond: row.tokens_per_second,
    rewards: rewardsFromColumns(row.rewards_chosen, row.rewards_rejected, row.rewards_margin, row.rewards_accuracy),
    evalRewards: rewardsFromColumns(row.eval_rewards_chosen, row.eval_rewards_rejected, row.eval_rewards_margin, row.eval_rewards_accuracy),
    createdAt: row.created_at,
  };
}

function rewardsFromColumns(chosen: number | null, rejected: number | null, margin: number | null, accuracy: number | null): PreferenceRewards | null {
  return chosen === null || rejected === null || margin === null || accuracy === null ? null : { chosen, rejected, margin, accuracy };
}

export class JobsRepository {
  private readonly db: StoreDatabase;
  private readonly insertJob: BetterSqlite3.Statement;
  private readonly selectJob: BetterSqlite3.Statement<[string], JobRow>;
  private readonly selectJobs: BetterSqlite3.Statement<[], JobRow>;
  private readonly updateJob: BetterSqlite3.Statement;
  private readonly updateProgressStatement: BetterSqlite3.Statement;
  private readonly selectNextQueued: BetterSqlite3.Statement<[], JobRow>;
  private readonly deleteMetricsAfterStatement: BetterSqlite3.Statement<[string, number]>;
  private readonly deleteJob: BetterSqlite3.Statement<[string]>;
  private readonly upsertMetric: BetterSqlite3.Statement;
  private readonly selectMetric: BetterSqlite3.Statement<[string, number], JobMetricRow>;
  private readonly selectMetrics: BetterSqlite3.Statement<[string, number], JobMetricRow>;

  constructor(db: StoreDatabase) {
    this.db = db;
    const c = db.connection;
    this.insertJob = c.prepare(`
      INSERT INTO jobs (id, base_model_id, config_json, state, output_dir, train_path, eval_path, created_at, queued_at)
      VALUES (@id, @base_model_id, @config_json, 'queued', @output_dir, @train_path, @eval_path, @now, @now)`);
    this.selectJob = c.prepare("SELECT * FROM jobs WHERE id = ? AND kind = 'finetune'");
    this.selectJobs = c.prepare("SELECT * FROM jobs WHERE kind = 'finetune' ORDER BY created_at DESC, rowid DESC");
    this.updateJob = c.prepare(`
      UPDATE jobs SET state = @state, error = @error, output_dir = @output_dir, queued_at = @queued_at, started_at = @started_at,
        finished_at = @finished_at
      WHERE id = @id`);
    this.updateProgressStatement = c.prepare('UPDATE jobs SET step = @step, total_steps = coalesce(@total_steps, total_steps) WHERE id = @id');
    this.selectNextQueued = c.prepare("SELECT * FROM jobs WHERE kind = 'finetune' AND state = 'queued' ORDER BY queued_at, created_at, rowid LIMIT 1");
    this.deleteMetricsAfterStatement = c.prepare('DELETE FROM job_metrics WHERE job_id = ? AND step > ?');
    this.deleteJob = c.prepare("DELETE FROM jobs WHERE id = ? AND kind = 'finetune'");
    this.upsertMetric = c.prepare(`
      INSERT INTO job_metrics (job_id, step, train_loss, eval_loss, lr, tokens_per_second,
          rewards_chosen, rewards_rejected, rewards_margin, rewards_accuracy,
          eval_rewards_chosen, eval_rewards_rejected, eval_rewards_margin, eval_rewards_accuracy, created_at)
      VALUES (@job_id, @step, @train_loss, @eval_loss, @lr, @tokens_per_second,
          @rewards_chosen, @rewards_rejected, @rewards_margin, @rewards_accuracy,
          @eval_rewards_chosen, @eval_rewards_rejected, @eval_rewards_margin, @eval_rewards_accuracy, @now)
      ON CONFLICT (job_id, step) DO UPDATE SET
        train_loss = coalesce(excluded.train_loss, train_loss), eval_loss = coalesce(excluded.eval_loss, eval_loss),
        lr = coalesce(excluded.lr, lr), tokens_per_second = coalesce(excluded.tokens_per_second, tokens_per_second),
        rewards_chosen = coalesce(excluded.rewards_chosen, rewards_chosen), rewards_rejected = coalesce(excluded.rewards_rejected, rewards_rejected),
        rewards_margin = coalesce(excluded.rewards_margin, rewards_margin), rewards_accuracy = coalesce(excluded.rewards_accuracy, rewards_accuracy),
        eval_rewards_chosen = coalesce(excluded.eval_rewards_chosen, eval_rewards_chosen),
        eval_rewards_rejected = coalesce(excluded.eval_rewards_rejected, eval_rewards_rejected),
        eval_rewards_margin = coalesce(excluded.eval_rewards_margin, eval_rewards_margin),
        eval_rewards_accuracy = coalesce(excluded.eval_rewards_accuracy, eval_rewards_accuracy)`);
    this.selectMetric = c.prepare('SELECT * FROM job_metrics WHERE job_id = ? AND step = ?');
    this.selectMetrics = c.prepare('SELECT * FROM job_metrics WHERE job_id = ? AND step > ? ORDER BY step');
  }

  /** A new job in state 'queued'. */
  create(job: NewJob): JobRecord {
    const id = job.id ?? randomUUID();
    this.insertJob.run({
      id,
      base_model_id: job.baseModelId,
      config_json: toJsonColumn(job.config),
      output_dir: job.outputDir ?? null,
      train_path: job.trainPath ?? null,
      eval_path: job.evalPath ?? null,
      now: this.db.now(),
    });
    return this.get(id)!;
  }

  get(id: string): JobRecord | undefined {
    const row = this.selectJob.get(id);
    return row && jobFromRow(row);
  }

  /** Most recent first. */
  list(): JobRecord[] {
    return this.selectJobs.all().map(jobFromRow);
  }

  /** The job that has waited longest in 'queued', if any. */
  nextQueued(): JobRecord | undefined {
    const row = this.selectNextQueued.get();
    return row && jobFromRow(row);
  }

  /**
   * Moves the job to `state`, recording when it was queued, started (first 'running') and
   * finished (a final state); `error` and `outputDir` are set when given. Undefined when there is
   * no such job.
   */
  updateState(id: string, state: JobState, details: { error?: string | null; outputDir?: string | null } = {}): JobRecord | undefined {
    return this.db.transaction(() => {
      const current = this.get(id);
      if (!current) return undefined;
      const now = this.db.now();
      this.updateJob.run({
        id,
        state,
        error: details.error === undefined ? current.error : details.error,
        output_dir: details.outputDir === undefined ? current.outputDir : details.outputDir,
        queued_at: state === 'queued' ? (current.state === 'queued' ? current.queuedAt : now) : null,
        started_at: current.startedAt ?? (state === 'running' ? now : null),
        finished_at: FINAL_JOB_STATES.includes(state) ? now : null,
      });
      return this.get(id);
    });
  }

  /** Records how far the job got; `totalSteps` is kept when not given. */
  updateProgress(id: string, step: number, totalSteps?: number | null): void {
    this.updateProgressStatement.run({ id, step, total_steps: totalSteps ?? null });
  }

  /** Forgets the metrics after `step`: a job resumed from an earlier checkpoint trains those steps again. */
  deleteMetricsAfter(jobId: string, step: number): number {
    return this.deleteMetricsAfterStatement.run(jobId, step).changes;
  }

  /** Records a step's metrics (merged into what the step already has). */
  appendMetric(jobId: string, metric: JobMetricInput): JobMetricRecord {
    return this.db.transaction(() => {
      this.upsertMetric.run({
        job_id: jobId,
        step: metric.step,
        train_loss: metric.trainLoss ?? null,
        eval_loss: metric.evalLoss ?? null,
        lr: metric.learningRate ?? null,
        tokens_per_second: metric.tokensPerSecond ?? null,
        rewards_chosen: metric.rewards?.chosen ?? null,
        rewards_rejected: metric.rewards?.rejected ?? null,
        rewards_margin: metric.rewards?.margin ?? null,
        rewards_accuracy: metric.rewards?.accuracy ?? null,
        eval_rewards_chosen: metric.evalRewards?.chosen ?? null,
        eval_rewards_rejected: metric.evalRewards?.rejected ?? null,
        eval_rewards_margin: metric.evalRewards?.margin ?? null,
        eval_rewards_accuracy: metric.evalRewards?.accuracy ?? null,
        now: this.db.now(),
      });
      return metricFromRow(this.selectMetric.get(jobId, metric.step)!);
    });
  }

  /** A job's metrics by step; with `afterStep`, only later steps (for polling a running job). */
  metrics(jobId: string, afterStep = -1): JobMetricRecord[] {
    return this.selectMetrics.all(jobId, afterStep).map(metricFromRow);
  }

  /** Deletes the job and its metrics; its output folder is the caller's. */
  delete(id: string): boolean {
    return this.deleteJob.run(id).changes > 0;
  }
}
