// Test support for the services' tests only: services over a real SQLite store in a temporary
// data directory, the real bundled demo model, real worker processes (recorded, so a test can
// kill one), a fixed CPU-only machine (detection itself is tested in main/hardware), and a
// recorder that waits for events.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiEvent } from '../common/contracts/events.ts';
import type { HardwareSummary } from '../common/hardware-contract.ts';
import { NodeWorkerLauncher } from '../worker/node-worker-launcher.ts';
import type { WorkerHandle, WorkerKind, WorkerLauncher } from '../worker/worker-launcher.ts';
import { createServices, type Services } from './create-services.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RESOURCES_DIR = join(REPO_ROOT, 'resources');
export const BUNDLED_MODEL_DIR = join(RESOURCES_DIR, 'models', 'shakespeare-5m');

const GIB = 1024 ** 3;

/** A machine without a GPU, as detection reports one. */
export const CPU_ONLY_MACHINE: HardwareSummary = {
  platform: 'linux',
  arch: 'x64',
  gpus: [],
  cpu: { model: 'Test CPU', logicalCores: 2, physicalCores: 2, features: ['AVX2'] },
  ramTotalBytes: 8 * GIB,
  ramFreeBytes: 4 * GIB,
  webgpu: { available: false, error: 'no adapter (test machine)' },
  warnings: [],
  searched: ['nvidia-smi: not installed', 'sysfs: no DRM cards'],
};

/** Launches real workers and keeps their handles, so a test can kill the one running. */
export class RecordingLauncher implements WorkerLauncher {
  readonly handles: WorkerHandle[] = [];
  /** The training workers launched, in order. */
  readonly trainingHandles: WorkerHandle[] = [];
  /** The build workers launched (one per variant build), in order. */
  readonly buildHandles: WorkerHandle[] = [];
  private readonly inner = new NodeWorkerLauncher();

  launch(kind: WorkerKind = 'inference'): WorkerHandle {
    const handle = this.inner.launch(kind);
    (kind === 'training' ? this.trainingHandles : kind === 'build' ? this.buildHandles : this.handles).push(handle);
    return handle;
  }

  get current(): WorkerHandle | undefined {
    return this.handles[this.handles.length - 1];
  }
}

const buildWorkers = new NodeWorkerLauncher();

/** A launcher for tests that must not start the inference worker (nor train); variant builds run in real build workers. */
export const NO_WORKER: WorkerLauncher = {
  launch(kind: WorkerKind = 'inference') {
    if (kind === 'build') return buildWorkers.launch('build');
    throw new Error(`This test must not start the ${kind} worker.`);
  },
};

/** Every event since creation, and waiting for the next one that matches. */
export class EventRecorder {
  readonly events: ApiEvent[] = [];
  private waiters: { match: (event: ApiEvent) => boolean; resolve: (event: ApiEvent) => void }[] = [];

  readonly listener = (event: ApiEvent): void => {
    this.events.push(event);
    for (const waiter of [...this.waiters]) {
      if (waiter.match(event)) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(event);
      }
    }
  };

  /** An index to pass to `since` and `next`: events from now on. */
  mark(): number {
    return this.events.length;
  }

  since<T extends ApiEvent['type']>(mark: number, type: T): Extract<ApiEvent, { type: T }>[] {
    return this.events.slice(mark).filter((e): e is Extract<ApiEvent, { type: T }> => e.type === type);
  }

  /** The first event of `type` after `mark` that passes `match`, waiting up to `timeoutMs` for it. */
  next<T extends ApiEvent['type']>(mark: number, type: T, match: (event: Extract<ApiEvent, { type: T }>) => boolean = () => true, timeoutMs = 20_000): Promise<Extract<ApiEvent, { type: T }>> {
    const test = (event: ApiEvent): event is Extract<ApiEvent, { type: T }> => event.type === type && match(event as Extract<ApiEvent, { type: T }>);
    const seen = this.events.slice(mark).find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} event within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        match: test,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event as Extract<ApiEvent, { type: T }>);
        },
      });
    });
  }
}

export interface TestServices {
  services: Services;
  dataDir: string;
  events: EventRecorder;
  /** Closes the services and removes the data directory. */
  cleanup(): Promise<void>;
}

export async function openTestServices(launcher: WorkerLauncher = NO_WORKER, dataDir?: string): Promise<TestServices> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'hearth-services-')));
  const services = await createServices({ dataDir: dir, resourcesDir: RESOURCES_DIR, launcher, detectHardware: async () => CPU_ONLY_MACHINE });
  const events = new EventRecorder();
  services.events.subscribe(events.listener);
  return {
    services,
    dataDir: dir,
    events,
    cleanup: async () => {
      await services.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A scratch folder removed by the returned function. */
export async function scratchDir(prefix: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
