// How the main side starts the inference worker process. The web shell and the CLI fork a Node
// child (node-worker-launcher.ts); the Electron app starts an Electron utilityProcess
// (main/electron provides that launcher). The engine host sees only this interface, validates
// every message it receives with worker-protocol.ts, and restarts the worker when it exits.
import type { WorkerRequest } from './worker-protocol.ts';

export interface WorkerExit {
  /** The exit code, or null when a signal ended the process. */
  code: number | null;
  /** The signal that ended it ('SIGKILL'...), or null (utilityProcess reports only a code). */
  signal: string | null;
  /** Why the process never started (a failed spawn), when that is what happened. */
  startError?: string;
}

/** One running worker process. */
export interface WorkerHandle {
  /** The OS process id, once known (undefined while it is starting). */
  readonly pid: number | undefined;
  /** Sends a request (a structured-clone-safe plain object). Does nothing once the process has exited. */
  send(message: WorkerRequest): void;
  /** Every message the worker posts, unvalidated: the host validates. */
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the process ends, however it ends (crash, kill, shutdown). */
  onExit(listener: (exit: WorkerExit) => void): void;
  /** Ends the process at once (SIGKILL where there are signals). */
  kill(): void;
}

export interface WorkerLauncher {
  /** Starts a fresh worker process. It posts a 'ready' message once it listens. */
  launch(): WorkerHandle;
}
