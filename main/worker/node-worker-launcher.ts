// Starts the inference worker as a Node child process (child_process.fork), for the web shell
// and the CLI. From the TypeScript sources the child runs worker-main.ts through tsx; from the
// bundle (app/worker.js beside app/main.js) it runs the plain JavaScript file.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerExit, WorkerHandle, WorkerLauncher } from './worker-launcher.ts';
import type { WorkerRequest } from './worker-protocol.ts';

export interface NodeWorkerLauncherOptions {
  /** The worker's entry file; default: worker-main.ts beside this file, or worker.js beside the bundle. */
  entry?: string;
  /** Node flags for the child; default ['--import', tsx] for a .ts entry, none for a .js one. */
  execArgv?: string[];
  /** Extra environment for the child (merged over process.env). */
  env?: Record<string, string>;
}

/** The file name of the bundled worker, written by the build beside the main bundle. */
export const BUNDLED_WORKER_FILE = 'worker.js';

function runningFromSources(): boolean {
  return import.meta.url.endsWith('.ts');
}

export function defaultWorkerEntry(): string {
  if (runningFromSources()) return fileURLToPath(new URL('./worker-main.ts', import.meta.url));
  return join(dirname(fileURLToPath(import.meta.url)), BUNDLED_WORKER_FILE);
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
  private readonly entry: string;
  private readonly execArgv: string[];
  private readonly env: Record<string, string>;

  constructor(options: NodeWorkerLauncherOptions = {}) {
    this.entry = options.entry ?? defaultWorkerEntry();
    this.execArgv = options.execArgv ?? (this.entry.endsWith('.ts') ? ['--import', tsxImport()] : []);
    this.env = options.env ?? {};
  }

  launch(): WorkerHandle {
    const child = fork(this.entry, [], {
      execArgv: this.execArgv,
      env: { ...process.env, ...this.env },
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

  send(message: WorkerRequest): void {
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
