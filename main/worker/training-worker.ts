// What the training worker process does: run one fine-tune job (runFinetune) and report its
// progress as protocol messages, stop at the next step when cancelled (runFinetune writes a
// checkpoint first), and say how it ended: 'finished' or 'failed' with a message for the user.
// A loss that is not a finite number fails the job at once, naming the likely cause, instead of
// training on (and checkpointing) a diverged adapter. Transport-free: training-worker-main.ts
// wires it to the process.
import type { PreferenceRewards } from '../common/contracts/jobs.ts';
import { runFinetune, type FinetuneEvent, type FinetuneOptions } from '../train/finetune-job.ts';
import type { PreferenceMetrics } from '../train/preference-rewards.ts';
import { describeIssues } from './worker-protocol.ts';
import { TrainingRequestSchema, type StartTrainingRequest, type TrainingReply } from './training-protocol.ts';

/** A loss became NaN or infinite: training cannot recover from it. */
class DivergedError extends Error {
  override name = 'DivergedError';
}

export class TrainingWorker {
  private readonly post: (reply: TrainingReply) => void;
  private readonly exit: () => void;
  private readonly controller = new AbortController();
  private started = false;

  constructor(post: (reply: TrainingReply) => void, exit: () => void) {
    this.post = post;
    this.exit = exit;
  }

  /** Handles one raw message from the host. */
  receive(raw: unknown): void {
    const parsed = TrainingRequestSchema.safeParse(raw);
    if (!parsed.success) {
      this.post({ type: 'failed', message: `The training worker received a malformed request: ${describeIssues(parsed.error)}` });
      return;
    }
    const request = parsed.data;
    switch (request.type) {
      case 'start':
        if (this.started) {
          this.post({ type: 'failed', message: 'The training worker runs one job; it was asked to start a second.' });
          return;
        }
        this.started = true;
        void this.run(request);
        return;
      case 'cancel':
        this.controller.abort();
        return;
      case 'shutdown':
        this.controller.abort();
        this.exit();
        return;
    }
  }

  /** Resolves once the final message ('finished' or 'failed') is posted. */
  async run(request: StartTrainingRequest): Promise<void> {
    try {
      const result = await runFinetune(finetuneOptions(request, this.controller.signal, (event) => this.relay(event)));
      this.post({ type: 'finished', status: result.status, step: result.step, adapterDir: result.adapterDir });
    } catch (error) {
      this.post({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  }

  private relay(event: FinetuneEvent): void {
    switch (event.type) {
      case 'prepared':
        this.post({
          type: 'prepared',
          totalSteps: event.totalSteps,
          trainExamples: event.dataset.trainExamples,
          evalExamples: event.dataset.evalExamples,
          truncated: event.dataset.truncated,
          trainableParameters: event.trainableParameters,
        });
        return;
      case 'resumed':
        this.post({ type: 'resumed', step: event.step });
        return;
      case 'step':
        if (!Number.isFinite(event.loss)) {
          throw new DivergedError(
            `The training loss became ${event.loss} at step ${event.step}: the learning rate (${event.lr.toPrecision(3)} at that step) is probably too high for this model. ` +
              'Start a new job with a lower learning rate (2e-4 suits most models).',
          );
        }
        this.post({ type: 'step', step: event.step, totalSteps: event.totalSteps, loss: event.loss, lr: event.lr, tokensPerSecond: finiteOr(event.tokensPerSecond, 0), etaMs: finiteOr(event.etaMs, 0), ...rewardsOf(event.preference) });
        return;
      case 'eval':
        if (!Number.isFinite(event.evalLoss)) throw new DivergedError(`The evaluation loss became ${event.evalLoss} at step ${event.step}; lower the learning rate and start a new job.`);
        this.post({ type: 'eval', step: event.step, evalLoss: event.evalLoss, ...rewardsOf(event.preference) });
        return;
      case 'checkpoint':
        this.post({ type: 'checkpoint', step: event.step });
        return;
      case 'done':
        return; // reported as 'finished' once runFinetune returns
      case 'memory-plan':
        return; // the form showed the plan before the job started
    }
  }
}

/** DPO's metrics as the protocol carries them (left out when not finite, as a loss would fail the job first). */
function rewardsOf(metrics: PreferenceMetrics | undefined): { rewards?: PreferenceRewards } {
  if (!metrics) return {};
  const rewards = { chosen: metrics.rewardsChosen, rejected: metrics.rewardsRejected, margin: metrics.rewardsMargin, accuracy: metrics.rewardsAccuracy };
  return Object.values(rewards).every(Number.isFinite) ? { rewards } : {};
}

function finiteOr(value: number, fallback: number): number {
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}

/** runFinetune's options for the request; the job always resumes (a fresh start when outDir has no checkpoint). */
export function finetuneOptions(request: StartTrainingRequest, signal: AbortSignal, onEvent: (event: FinetuneEvent) => void): FinetuneOptions {
  const { config } = request;
  return {
    baseDir: request.baseDir,
    dataPath: request.dataPath,
    evalDataPath: request.evalDataPath ?? undefined,
    outDir: request.outDir,
    method: config.method,
    beta: config.beta,
    r: config.r,
    alpha: config.alpha,
    dropout: config.dropout,
    targets: config.targets,
    learningRate: config.learningRate,
    batchSize: config.batchSize,
    gradAccum: config.gradAccum,
    steps: config.steps ?? undefined,
    epochs: config.epochs,
    warmupSteps: config.warmupSteps,
    schedule: config.schedule,
    weightDecay: config.weightDecay,
    maxLength: config.maxLength,
    seed: config.seed,
    evalEvery: config.evalEvery,
    checkpointEvery: config.checkpointEvery,
    baseDtype: config.baseDtype,
    resume: true,
    signal,
    onEvent,
  };
}
