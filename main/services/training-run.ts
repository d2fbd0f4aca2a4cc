// The main side of one training worker process: launches it (through the same WorkerLauncher
// as the inference worker), starts the job once the process says 'ready', relays every progress
// message after validating it, and settles with how the run ended. A process that dies without
// a final message (killed, crashed, out of memory) ends the run as 'exited' with how it died;
// the job can then resume from its last checkpoint.
import type { WorkerExit, WorkerHandle, WorkerLauncher } from '../worker/worker-launcher.ts';
import { describeIssues } from '../worker/worker-protocol.ts';
import { TrainingReplySchema, type StartTrainingRequest, type TrainingReply } from '../worker/training-protocol.ts';

/** How long a fresh training process may take to say 'ready' (tsx compiling the sources on a slow disk included). */
export const TRAINING_START_TIMEOUT_MS = 60_000;
/** How long a process told to shut down (its run over) may take before it is killed. */
const SHUTDOWN_GRACE_MS = 3_000;

/** The messages that report progress, as the jobs service receives them. */
export type TrainingProgress = Exclude<TrainingReply, { type: 'ready' | 'finished' | 'failed' }>;

export type TrainingOutcome =
  | { kind: 'completed'; step: number; adapterDir: string }
  | { kind: 'cancelled'; step: number | null }
  | { kind: 'failed'; message: string }
  /** The process ended without saying how the run ended. */
  | { kind: 'exited'; description: string };

export class TrainingRun {
  /** Settles once with how the run ended; never rejects. */
  readonly done: Promise<TrainingOutcome>;
  private readonly handle: WorkerHandle;
  private settle!: (outcome: TrainingOutcome) => void;
  private settled = false;
  private started = false;
  private cancelRequested = false;
  private exited = false;

  private constructor(launcher: WorkerLauncher, request: Omit<StartTrainingRequest, 'type'>, onProgress: (progress: TrainingProgress) => void) {
    this.done = new Promise((resolve) => (this.settle = resolve));
    this.handle = launcher.launch('training');
    const timer = setTimeout(() => {
      if (!this.started) this.finish({ kind: 'exited', description: `did not start within ${TRAINING_START_TIMEOUT_MS / 1000} s` }, true);
    }, TRAINING_START_TIMEOUT_MS);
    timer.unref();

    this.handle.onMessage((raw) => {
      const parsed = TrainingReplySchema.safeParse(raw);
      if (!parsed.success) {
        console.error(`hearth: ignored a malformed message from the training worker: ${describeIssues(parsed.error)}`);
        return;
      }
      const reply = parsed.data;
      switch (reply.type) {
        case 'ready':
          clearTimeout(timer);
          this.started = true;
          this.handle.send({ type: 'start', ...request });
          if (this.cancelRequested) this.handle.send({ type: 'cancel' });
          return;
        case 'finished':
          this.finish(reply.status === 'completed' && reply.adapterDir ? { kind: 'completed', step: reply.step, adapterDir: reply.adapterDir } : { kind: 'cancelled', step: reply.step }, false);
          return;
        case 'failed':
          this.finish({ kind: 'failed', message: reply.message }, false);
          return;
        default:
          if (!this.settled) onProgress(reply);
      }
    });
    this.handle.onExit((exit) => {
      clearTimeout(timer);
      this.exited = true;
      // A run cancelled before it started (or killed after a cancel) ends as cancelled, with no new checkpoint.
      this.finish(this.cancelRequested ? { kind: 'cancelled', step: null } : { kind: 'exited', description: describeExit(exit) }, false);
    });
  }

  static start(launcher: WorkerLauncher, request: Omit<StartTrainingRequest, 'type'>, onProgress: (progress: TrainingProgress) => void): TrainingRun {
    return new TrainingRun(launcher, request, onProgress);
  }

  /** The training process's OS id, while it runs. */
  get pid(): number | undefined {
    return this.exited ? undefined : this.handle.pid;
  }

  /** Stops the run at its next step (a checkpoint is written first); a run not started yet ends at once. */
  cancel(): void {
    if (this.settled) return;
    this.cancelRequested = true;
    if (this.started) this.handle.send({ type: 'cancel' });
    else this.handle.kill();
  }

  /** Ends the process at once; the run ends as 'exited' (or 'cancelled' after a cancel). */
  kill(): void {
    if (!this.exited) this.handle.kill();
  }

  private finish(outcome: TrainingOutcome, kill: boolean): void {
    if (!this.settled) {
      this.settled = true;
      this.settle(outcome);
    }
    if (this.exited) return;
    if (kill) {
      this.handle.kill();
      return;
    }
    // The run is over: the process may go. It exits when told; a stuck one is killed.
    this.handle.send({ type: 'shutdown' });
    setTimeout(() => this.kill(), SHUTDOWN_GRACE_MS).unref();
  }
}

function describeExit(exit: WorkerExit): string {
  if (exit.startError) return `could not start (${exit.startError})`;
  if (exit.signal) return `was killed (${exit.signal})`;
  return `exited with code ${exit.code ?? 'unknown'}`;
}
