// The Electron flavour of the worker launcher (main/worker/worker-launcher.ts): the inference,
// training and build workers run as Electron utilityProcesses, not child_process.fork, because the packaged app's
// RunAsNode fuse is off (fork needs ELECTRON_RUN_AS_NODE) and native modules such as
// onnxruntime-node are not safe in worker threads. Inside the worker, messages arrive on
// process.parentPort ('message' events carrying { data }) and go back with parentPort.postMessage.
import { utilityProcess } from 'electron';
import type { UtilityProcess } from 'electron';
import { join } from 'node:path';
import { BUNDLED_WORKER_FILES, workerLaunchEnv, type WorkerExit, type WorkerHandle, type WorkerKind, type WorkerLauncher, type WorkerMessage } from '../worker/worker-launcher.ts';

/** Matches the process in crash reports and in app.on('child-process-gone'). */
const SERVICE_NAMES: Record<WorkerKind, string> = {
  inference: 'Hearth inference worker',
  training: 'Hearth training worker',
  build: 'Hearth build worker',
  'webgpu-probe': 'Hearth WebGPU probe',
};

export class UtilityProcessLauncher implements WorkerLauncher {
  /** `bundleDir` holds the bundled workers (app/worker.js, app/training-worker.js, app/build-worker.js, app/webgpu-probe.js). */
  constructor(private readonly bundleDir: string) {}

  launch(kind: WorkerKind = 'inference'): WorkerHandle {
    const child = utilityProcess.fork(join(this.bundleDir, BUNDLED_WORKER_FILES[kind]), [], {
      serviceName: SERVICE_NAMES[kind],
      // A training worker starts with the C allocator settings a training process needs, as under Node.
      env: { ...process.env, ...workerLaunchEnv(kind) },
      // The worker's output goes where ours goes; messages travel over the parent port.
      stdio: 'inherit',
    });
    return new UtilityWorkerHandle(child);
  }
}

class UtilityWorkerHandle implements WorkerHandle {
  private exited = false;

  constructor(private readonly child: UtilityProcess) {
    child.once('exit', () => (this.exited = true));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send(message: WorkerMessage): void {
    if (this.exited) return;
    this.child.postMessage(message);
  }

  onMessage(listener: (message: unknown) => void): void {
    this.child.on('message', listener);
  }

  onExit(listener: (exit: WorkerExit) => void): void {
    // utilityProcess reports an exit code only; a crash or kill shows as a non-zero code.
    this.child.once('exit', (code) => listener({ code, signal: null }));
  }

  kill(): void {
    if (!this.exited) this.child.kill();
  }
}
