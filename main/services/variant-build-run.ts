// The main side of one build worker process: launches it (through the same WorkerLauncher as the
// other workers), starts the build once the process says 'ready', relays every progress message
// after validating it, and settles with how the build ended. Cancelling ends the process at once
// (a build has nothing worth saving halfway); the run settles only once the process is gone, so
// the caller may remove the partial folder without the process still writing into it. A process
// that dies without a final message (killed, crashed, out of memory) ends the run as 'exited'.
import type { ApiErrorCode } from '../common/contracts/api-error.ts';
import { BuildReplySchema, type BuildProgress, type StartBuildRequest } from '../worker/build-protocol.ts';
import type { WorkerExit, WorkerHandle, WorkerLauncher } from '../worker/worker-launcher.ts';
import { describeIssues } from '../worker/worker-protocol.ts';

/** How long a fresh build process may take to say 'ready' (tsx compiling the sources on a slow disk included). */
export const BUILD_START_TIMEOUT_MS = 60_000;
/** How long a process told to shut down (its build over) may take before it is killed. */
const SHUTDOWN_GRACE_MS = 3_000;

export type VariantBuildOutcome =
  | { kind: 'built'; weightBytes: number }
  | { kind: 'failed'; message: string; code: ApiErrorCode | null }
  | { kind: 'cancelled' }
  /** The process ended without saying how the build ended. */
  | { kind: 'exited'; description: string };

export class VariantBuildRun {
  /** Settles once with how the build ended, after the process is gone when it was cancelled; never rejects. */
  readonly done: Promise<VariantBuildOutcome>;
  private readonly handle: WorkerHandle;
  private settle!: (outcome: VariantBuildOutcome) => void;
  private settled = false;
  private cancelRequested = false;
  private exited = false;

  private constructor(launcher: WorkerLauncher, request: Omit<StartBuildRequest, 'type'>, onProgress: (progress: BuildProgress) => void) {
    this.done = new Promise((resolve) => (this.settle = resolve));
    this.handle = launcher.launch('build');
    let started = false;
    const timer = setTimeout(() => {
      if (!started) this.finish({ kind: 'exited', description: `did not start within ${BUILD_START_TIMEOUT_MS / 1000} s` }, true);
    }, BUILD_START_TIMEOUT_MS);
    timer.unref();

    this.handle.onMessage((raw) => {
      const parsed = BuildReplySchema.safeParse(raw);
      if (!parsed.success) {
        console.error(`hearth: ignored a malformed message from the build worker: ${describeIssues(parsed.error)}`);
        return;
      }
      const reply = parsed.data;
      if (this.cancelRequested) return;
      switch (reply.type) {
        case 'ready':
          clearTimeout(timer);
          started = true;
          this.handle.send({ type: 'start', ...request });
          return;
        case 'progress':
          if (!this.settled) onProgress(reply);
          return;
        case 'built':
          this.finish({ kind: 'built', weightBytes: reply.weightBytes }, false);
          return;
        case 'failed':
          this.finish({ kind: 'failed', message: reply.message, code: reply.code }, false);
          return;
      }
    });
    this.handle.onExit((exit) => {
      clearTimeout(timer);
      this.exited = true;
      this.finish(this.cancelRequested ? { kind: 'cancelled' } : { kind: 'exited', description: describeExit(exit) }, false);
    });
  }

  static start(launcher: WorkerLauncher, request: Omit<StartBuildRequest, 'type'>, onProgress: (progress: BuildProgress) => void): VariantBuildRun {
    return new VariantBuildRun(launcher, request, onProgress);
  }

  /** The build process's OS id, while it runs. */
  get pid(): number | undefined {
    return this.exited ? undefined : this.handle.pid;
  }

  /**
   * Ends the build process at once; the run settles as 'cancelled' when the process is gone.
   * Returns false when the build had already ended (its outcome stands).
   */
  cancel(): boolean {
    if (this.settled) return false;
    this.cancelRequested = true;
    this.handle.kill();
    return true;
  }

  private finish(outcome: VariantBuildOutcome, kill: boolean): void {
    if (!this.settled) {
      this.settled = true;
      this.settle(outcome);
    }
    if (this.exited) return;
    if (kill) {
      this.handle.kill();
      return;
    }
    // The build is over: the process may go. It exits when told; a stuck one is killed.
    this.handle.send({ type: 'shutdown' });
    setTimeout(() => {
      if (!this.exited) this.handle.kill();
    }, SHUTDOWN_GRACE_MS).unref();
  }
}

function describeExit(exit: WorkerExit): string {
  if (exit.startError) return `could not start (${exit.startError})`;
  if (exit.signal) return `was killed (${exit.signal})`;
  return `exited with code ${exit.code ?? 'unknown'}`;
}
