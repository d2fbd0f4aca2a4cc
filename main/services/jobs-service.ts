// Fine-tune jobs: create (after checking the model can be trained and every line of the data),
// a queue that runs one job at a time in its own training process, the metrics written to the
// store as they come and pushed as 'job.progress' events, cancel (the process checkpoints and
// stops), resume (the job continues from its last checkpoint, and its loss curve with it), and
// delete. The adapter a completed job wrote joins the library.
//
// A job is never lost to a stop: a job the app left 'running' (it closed, or crashed) is marked
// failed with 'interrupted: the app closed' at the next start and can be resumed, and a training
// process that dies (killed, out of memory) fails its job the same way. Closing the app asks a
// running job to checkpoint first, waiting a little before killing it.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { ApiError } from '../common/contracts/api-error.ts';
import type { z } from 'zod';
import type { CreateJobInputSchema, Job, JobDetail, PreferenceRewards } from '../common/contracts/jobs.ts';
import type { JobRecord } from '../store/jobs-repository.ts';
import type { Store } from '../store/store.ts';
import { checkLoraArchitecture, LoraTargetError } from '../train/lora-targets.ts';
import type { WorkerLauncher } from '../worker/worker-launcher.ts';
import type { AdapterService } from './adapter-service.ts';
import { requireTrainableDataset } from './dataset-file.ts';
import type { EventBus } from './event-bus.ts';
import { configOf, jobOf, lastCheckpointStep, metricOf, requireJob } from './job-records.ts';
import { isInside } from './model-folder-check.ts';
import { jobDataDir, jobsRoot } from './model-paths.ts';
import { requireHuggingFaceFolder, requireModel, specOf } from './model-records.ts';
import { TrainingRun, type TrainingOutcome, type TrainingProgress } from './training-run.ts';

export const INTERRUPTED_BY_CLOSE = 'interrupted: the app closed';
/** How long closing the app waits for a running job to reach its next step and checkpoint. */
const CLOSE_GRACE_MS = 10_000;

interface RunningJob {
  jobId: string;
  run: TrainingRun;
  etaMs: number | null;
}

export class JobsService {
  private readonly store: Store;
  private readonly dataDir: string;
  private readonly bus: EventBus;
  private readonly launcher: WorkerLauncher;
  private readonly adapters: AdapterService;
  private running: RunningJob | null = null;
  /** Settles when the running job has been recorded in its final state. */
  private runFinished: Promise<void> = Promise.resolve();
  private closing = false;
  /** How many jobs were found 'running' at start-up (cut off by a close or a crash) and made resumable. */
  readonly interruptedAtStart: number;

  constructor(store: Store, dataDir: string, bus: EventBus, launcher: WorkerLauncher, adapters: AdapterService) {
    this.store = store;
    this.dataDir = dataDir;
    this.bus = bus;
    this.launcher = launcher;
    this.adapters = adapters;
    this.interruptedAtStart = this.markInterrupted();
  }

  /** Starts the oldest queued job, if any (jobs queued when the app last closed start now). */
  startQueued(): void {
    this.pump();
  }

  list(): Job[] {
    return this.store.jobs.list().map((job) => this.jobOf(job));
  }

  get(jobId: string): JobDetail {
    const job = requireJob(this.store, jobId);
    return { ...this.jobOf(job), metrics: this.store.jobs.metrics(jobId).map(metricOf) };
  }

  /** The process running the job now, if one does (tests kill it). */
  trainingPid(jobId: string): number | undefined {
    return this.running?.jobId === jobId ? this.running.run.pid : undefined;
  }

  /** Why the model cannot be deleted now (a job trains on it, or waits to), or null. */
  busyReason(modelId: string): string | null {
    const active = this.store.jobs.list().find((job) => job.baseModelId === modelId && (job.state === 'running' || job.state === 'queued'));
    return active ? `a fine-tune job ${active.state === 'running' ? 'trains on it' : 'waits to train on it'}` : null;
  }

  async create(input: z.infer<typeof CreateJobInputSchema>): Promise<Job> {
    const model = requireModel(this.store, input.baseModelId);
    requireHuggingFaceFolder(model, 'fine-tune');
    try {
      checkLoraArchitecture(specOf(model));
    } catch (error) {
      if (error instanceof LoraTargetError) throw new ApiError('invalid-input', `${model.name} cannot be fine-tuned: ${error.message}`);
      throw error;
    }
    const { method } = input.config;
    const trainPath = await requireTrainableDataset(input.trainPath, this.dataDir, method === 'dpo' ? 'preference data' : 'training data', method);
    const evalPath = input.evalPath ? await requireTrainableDataset(input.evalPath, this.dataDir, 'evaluation data', method) : null;
    const id = randomUUID();
    const job = this.store.jobs.create({ id, baseModelId: model.id, config: input.config, trainPath, evalPath, outputDir: jobDataDir(this.dataDir, id) });
    this.bus.emit({ type: 'jobs.changed' });
    this.pump();
    return this.jobOf(this.store.jobs.get(job.id) ?? job);
  }

  /** A queued job is cancelled at once; a running one stops at its next step, after a checkpoint ('jobs.changed' says when). */
  cancel(jobId: string): Job {
    const job = requireJob(this.store, jobId);
    if (job.state === 'queued') {
      this.store.jobs.updateState(jobId, 'cancelled');
      this.changed(jobId);
    } else if (job.state === 'running' && this.running?.jobId === jobId) {
      this.running.run.cancel();
    } else if (job.state !== 'running') {
      throw new ApiError('invalid-input', `The job is already ${job.state}; only a queued or running job can be cancelled.`);
    }
    return this.jobOf(requireJob(this.store, jobId));
  }

  resume(jobId: string): Job {
    const job = requireJob(this.store, jobId);
    if (job.state !== 'cancelled' && job.state !== 'failed') {
      throw new ApiError('invalid-input', `The job is ${job.state}; only a cancelled or failed job can be resumed.`);
    }
    if (job.trainPath === null) throw new ApiError('invalid-input', 'This job was recorded before Hearth kept its data file, so it cannot continue; start a new job.');
    requireModel(this.store, job.baseModelId);
    this.store.jobs.updateState(jobId, 'queued', { error: null });
    this.changed(jobId);
    this.pump();
    return this.jobOf(requireJob(this.store, jobId));
  }

  async delete(jobId: string): Promise<void> {
    const job = requireJob(this.store, jobId);
    if (job.state === 'running') throw new ApiError('busy', 'The job is running; cancel it first, then delete it.');
    if (job.outputDir) {
      // Only ever below <dataDir>/jobs: the folder comes from the store, but a path is checked before an rm -r.
      if (!isInside(jobsRoot(this.dataDir), job.outputDir) || job.outputDir === jobsRoot(this.dataDir)) {
        throw new ApiError('internal', `Refusing to delete ${job.outputDir}: it is not inside ${jobsRoot(this.dataDir)}.`);
      }
      await rm(job.outputDir, { recursive: true, force: true });
    }
    this.store.jobs.delete(jobId);
    this.bus.emit({ type: 'jobs.changed' });
  }

  /** Stops taking jobs; a running one is asked to checkpoint and stop, and killed if it takes too long. */
  async close(): Promise<void> {
    this.closing = true;
    const running = this.running;
    if (!running) return;
    running.run.cancel();
    const timer = setTimeout(() => running.run.kill(), CLOSE_GRACE_MS);
    await this.runFinished;
    clearTimeout(timer);
  }

  // ---- running jobs ----

  private pump(): void {
    if (this.running || this.closing) return;
    const next = this.store.jobs.nextQueued();
    if (!next) return;
    const model = this.store.models.get(next.baseModelId);
    if (!model || next.trainPath === null || next.outputDir === null) {
      const why = !model ? 'its base model was deleted' : 'it was recorded before Hearth kept its data file and folder';
      this.store.jobs.updateState(next.id, 'failed', { error: `The job cannot run: ${why}.` });
      this.changed(next.id);
      this.pump();
      return;
    }
    this.store.jobs.updateState(next.id, 'running', { error: null });
    const run = TrainingRun.start(
      this.launcher,
      { jobId: next.id, baseDir: model.sourceDir, dataPath: next.trainPath, evalDataPath: next.evalPath, outDir: next.outputDir, config: configOf(next) },
      (progress) => this.onProgress(next.id, progress),
    );
    const running: RunningJob = { jobId: next.id, run, etaMs: null };
    this.running = running;
    this.changed(next.id);
    this.runFinished = run.done.then((outcome) => this.onFinished(running, outcome));
  }

  private onProgress(jobId: string, progress: TrainingProgress): void {
    const running = this.running;
    if (running?.jobId !== jobId) return;
    switch (progress.type) {
      case 'prepared':
        this.store.jobs.updateProgress(jobId, requireJob(this.store, jobId).step, progress.totalSteps);
        this.emitProgress(jobId, { trainLoss: null });
        return;
      case 'resumed':
        // The curve continues from the checkpoint: steps after it are trained (and reported) again.
        this.store.jobs.deleteMetricsAfter(jobId, progress.step);
        this.store.jobs.updateProgress(jobId, progress.step);
        this.emitProgress(jobId, { trainLoss: null });
        return;
      case 'step':
        running.etaMs = progress.etaMs;
        this.store.database.transaction(() => {
          this.store.jobs.appendMetric(jobId, { step: progress.step, trainLoss: progress.loss, learningRate: progress.lr, tokensPerSecond: progress.tokensPerSecond, rewards: progress.rewards ?? null });
          this.store.jobs.updateProgress(jobId, progress.step, progress.totalSteps);
        });
        this.emitProgress(jobId, { trainLoss: progress.loss, lr: progress.lr, tokensPerSecond: progress.tokensPerSecond, rewards: progress.rewards });
        return;
      case 'eval':
        this.store.jobs.appendMetric(jobId, { step: progress.step, evalLoss: progress.evalLoss, evalRewards: progress.rewards ?? null });
        this.emitProgress(jobId, { trainLoss: null, evalLoss: progress.evalLoss, step: progress.step, rewards: progress.rewards });
        return;
      case 'checkpoint':
        // The list shows where a resume would continue.
        this.bus.emit({ type: 'jobs.changed' });
        return;
    }
  }

  private async onFinished(running: RunningJob, outcome: TrainingOutcome): Promise<void> {
    const { jobId } = running;
    try {
      const job = this.store.jobs.get(jobId);
      if (!job) return; // deleted meanwhile (not possible while running, but the store is the truth)
      if (outcome.kind === 'completed') {
        try {
          await this.adapters.registerTrained(job, outcome.adapterDir);
          this.store.jobs.updateState(jobId, 'completed', { error: null });
        } catch (error) {
          this.store.jobs.updateState(jobId, 'failed', { error: `The job finished but its adapter could not be added: ${error instanceof Error ? error.message : String(error)}` });
        }
      } else if (this.closing && outcome.kind !== 'failed') {
        this.store.jobs.updateState(jobId, 'failed', { error: INTERRUPTED_BY_CLOSE });
      } else if (outcome.kind === 'cancelled') {
        this.store.jobs.updateState(jobId, 'cancelled', { error: null });
      } else if (outcome.kind === 'failed') {
        this.store.jobs.updateState(jobId, 'failed', { error: outcome.message });
      } else {
        const checkpoint = lastCheckpointStep(job.outputDir);
        const from = checkpoint === null ? 'from the start (no checkpoint was written yet)' : `from its last checkpoint (step ${checkpoint})`;
        this.store.jobs.updateState(jobId, 'failed', { error: `The training process ${outcome.description}. Resume continues ${from}.` });
      }
    } catch (error) {
      console.error(`hearth: could not record the end of job ${jobId}:`, error);
    } finally {
      if (this.running === running) this.running = null;
      this.changed(jobId);
      this.pump();
    }
  }

  /** A job the app left 'running' was cut off when it last stopped: it can resume. */
  private markInterrupted(): number {
    let count = 0;
    for (const job of this.store.jobs.list()) {
      if (job.state !== 'running') continue;
      this.store.jobs.updateState(job.id, 'failed', { error: INTERRUPTED_BY_CLOSE });
      count++;
    }
    return count;
  }

  private jobOf(job: JobRecord): Job {
    return jobOf(this.store, job, this.running?.jobId === job.id ? this.running.etaMs : null);
  }

  /** The job's state changed: its progress event (the state travels in it) and the lists reload. */
  private changed(jobId: string): void {
    this.emitProgress(jobId, { trainLoss: null });
    this.bus.emit({ type: 'jobs.changed' });
  }

  private emitProgress(jobId: string, details: { trainLoss: number | null; evalLoss?: number; lr?: number; tokensPerSecond?: number; step?: number; rewards?: PreferenceRewards }): void {
    const job = this.store.jobs.get(jobId);
    if (!job) return;
    const etaMs = job.state === 'running' && this.running?.jobId === jobId ? this.running.etaMs : null;
    this.bus.emit({
      type: 'job.progress',
      jobId,
      state: job.state,
      step: details.step ?? job.step,
      totalSteps: job.totalSteps,
      trainLoss: details.trainLoss,
      ...(details.evalLoss === undefined ? {} : { evalLoss: details.evalLoss }),
      ...(details.lr === undefined ? {} : { lr: details.lr }),
      ...(details.tokensPerSecond === undefined ? {} : { tokensPerSecond: details.tokensPerSecond }),
      ...(details.rewards === undefined ? {} : { rewards: details.rewards }),
      etaMs,
    });
  }
}
