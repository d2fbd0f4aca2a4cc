// Starts the worker processes as Node children (child_process.fork), for the web shell and the
// CLI. From the TypeScript sources a child runs worker-main.ts (or training-worker-main.ts,
// build-worker-main.ts, webgpu-probe-main.ts) through tsx; from the bundle (app/worker.js,
// app/training-worker.js, app/build-worker.js, app/webgpu-probe.js beside app/main.js) it runs the
// plain JavaScript file.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLED_WORKER_FILES, workerLaunchEnv, type WorkerExit, type WorkerHandle, type WorkerKind, type WorkerLauncher, type WorkerMessage } from './worker-launcher.ts';

export interface NodeWorkerLauncherOptions {
  /** The inference worker's entry file; default: worker-main.ts beside this file, or worker.js beside the bundle. */
  entry?: string;
  /** The training worker's entry file; default: training-worker-main.ts beside this file, or training-worker.js beside the bundle. */
  trainingEntry?: string;
  /** The build worker's entry file; default: build-worker-main.ts beside this file, or build-worker.js beside the bundle. */
  buildEntry?: string;
  /** The WebGPU probe's entry file; default: webgpu-probe-main.ts beside this file, or webgpu-probe.js beside the bundle. */
  webgpuProbeEntry?: string;
  /** Node flags for the child; default ['--import', tsx] for a .ts entry, none for a .js one. */
  execArgv?: string[];
  /** Extra environment for the child (merged over process.env). */
  env?: Record<string, string>;
}

/** The file name of the bundled inference worker, written by the build beside the main bundle. */
export const BUNDLED_WORKER_FILE = BUNDLED_WORKER_FILES.inference;

const SOURCE_ENTRIES: Readonly<Record<WorkerKind, string>> = {
  inference: './worker-main.ts',
  training: './training-worker-main.ts',
  build: './build-worker-main.ts',
  'webgpu-probe': './webgpu-probe-main.ts',
};

function runningFromSources(): boolean {
  return import.meta.url.endsWith('.ts');
}

export function defaultWorkerEntry(kind: WorkerKind = 'inference'): string {
  if (runningFromSources()) return fileURLToPath(new URL(SOURCE_ENTRIES[kind], import.meta.url));
  return join(dirname(fileURLToPath(import.meta.url)), BUNDLED_WORKER_FILES[kind]);
}

/** tsx resolved from this file, so the child finds it whatever its working directory. */
function tsxImport(): string {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return 'tsx';
  }
}

export class NodeWorkerLauncher implements WorkerLauncher {
  private readonly entries: Record<WorkerKind, string>;
  private readonly execArgv: string[] | undefined;
  private readonly env: Record<string, string>;

  constructor(options: NodeWorkerLauncherOptions = {}) {
    this.entries = {
      inference: options.entry ?? defaultWorkerEntry('inference'),
      training: options.trainingEntry ?? defaultWorkerEntry('training'),
      build: options.buildEntry ?? defaultWorkerEntry('build'),
      'webgpu-probe': options.webgpuProbeEntry ?? defaultWorkerEntry('webgpu-probe'),
    };
    this.execArgv = options.execArgv;
    this.env = options.env ?? {};
  }

  launch(kind: WorkerKind = 'inference'): WorkerHandle {
    const entry = this.entries[kind];
    const child = fork(entry, [], {
      execArgv: this.execArgv ?? (entry.endsWith('.ts') ? ['--import', tsxImport()] : []),
      // A training worker starts with the C allocator settings a training process needs.
      env: { ...process.env, ...workerLaunchEnv(kind), ...this.env },
      // The worker's own output goes where ours goes; messages travel over the IPC channel.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    return new ChildWorkerHandle(child);
  }
}

class ChildWorkerHandle implements WorkerHandle {
  private readonly child: ChildProcess;
  private exited = false;

  constructor(child: ChildProcess) {
    this.child = child;
    child.on('exit', () => (this.exited = true));
    // A failed spawn emits 'error' (and no 'exit' when it never started); it must not crash the host.
    child.on('error', () => {});
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send(message: WorkerMessage): void {
    if (this.exited || !this.child.connected) return;
    // The channel may close between the check and the write (the worker was killed): the exit handler reports it.
    this.child.send(message, (error) => void error);
  }

  onMessage(listener: (message: unknown) => void): void {
    this.child.on('message', listener);
  }

  onExit(listener: (exit: WorkerExit) => void): void {
    let reported = false;
    const report = (exit: WorkerExit) => {
      if (reported) return;
      reported = true;
      listener(exit);
    };
    this.child.on('exit', (code, signal) => report({ code, signal }));
    this.child.on('error', (error) => {
      if (this.child.pid === undefined) report({ code: null, signal: null, startError: error.message });
    });
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}
