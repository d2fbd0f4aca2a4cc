// How the main side starts its worker processes: the inference worker (the engine host restarts
// it when it exits), the training worker (one per fine-tune job run) and the build worker (one per
// variant build). The web shell and the CLI fork a Node child (node-worker-launcher.ts); the
// Electron app starts an Electron utilityProcess (main/electron provides that launcher). The hosts see only this interface and
// validate every message they receive (worker-protocol.ts, training-protocol.ts, build-protocol.ts).
import { TRAINING_ALLOCATOR_ENV } from '../engine/runtime/training-allocator.ts';
import type { BuildRequest } from './build-protocol.ts';
import type { TrainingRequest } from './training-protocol.ts';
import type { WorkerRequest } from './worker-protocol.ts';

/**
 * Which worker to start; each has its own entry file and protocol. 'webgpu-probe' checks once
 * whether onnxruntime's WebGPU provider starts, in a process of its own, so that a GPU driver that
 * crashes or hangs takes down only the probe (webgpu-probe-protocol.ts).
 */
export type WorkerKind = 'inference' | 'training' | 'build' | 'webgpu-probe';

/** The bundled entry of each worker, written by the build beside the main bundle (app/). */
export const BUNDLED_WORKER_FILES: Readonly<Record<WorkerKind, string>> = {
  inference: 'worker.js',
  training: 'training-worker.js',
  build: 'build-worker.js',
  'webgpu-probe': 'webgpu-probe.js',
};

/** Environment a worker of this kind starts with, on top of ours: a training worker needs the C allocator settings of training-allocator.ts. */
export function workerLaunchEnv(kind: WorkerKind): Readonly<Record<string, string>> {
  return kind === 'training' ? TRAINING_ALLOCATOR_ENV : {};
}

/** A request to any worker (each validates what it receives against its own protocol). */
export type WorkerMessage = WorkerRequest | TrainingRequest | BuildRequest;

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
  send(message: WorkerMessage): void;
  /** Every message the worker posts, unvalidated: the host validates. */
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the process ends, however it ends (crash, kill, shutdown). */
  onExit(listener: (exit: WorkerExit) => void): void;
  /** Ends the process at once (SIGKILL where there are signals). */
  kill(): void;
}

export interface WorkerLauncher {
  /** Starts a fresh worker process (the inference worker unless told). It posts a 'ready' message once it listens. */
  launch(kind?: WorkerKind): WorkerHandle;
}
