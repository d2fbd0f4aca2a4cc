// The main side of the inference worker: starts it through a WorkerLauncher (a forked Node
// child, or an Electron utilityProcess), loads the model variant a conversation needs (on the
// GPU when the plan says so, falling back to the CPU with the reason when WebGPU fails), runs
// generations and relays their tokens, and restarts the worker when it crashes or is killed. A
// request in flight when the worker dies fails with ApiError 'worker-crashed', so the chat can
// keep the partial answer as 'interrupted'. Every message from the worker is validated.
import { randomUUID } from 'node:crypto';
import { isAbsolute, relative } from 'node:path';
import { ApiError } from '../common/contracts/api-error.ts';
import type { z } from 'zod';
import type { WorkerStatusEventSchema } from '../common/contracts/events.ts';
import type { Precision } from '../common/model-manifest.ts';
import type { WorkerExit, WorkerHandle, WorkerLauncher } from '../worker/worker-launcher.ts';
import {
  describeIssues,
  WorkerReplySchema,
  type CompleteRequest,
  type GenerateRequest,
  type GenerationDone,
  type ModelLoaded,
  type PerplexityMeasured,
  type TokenLogprobsData,
  type WorkerDevice,
  type WorkerError,
  type WorkerRequest,
} from '../worker/worker-protocol.ts';
import type { EventBus } from './event-bus.ts';
import { ReplyGate } from './reply-gate.ts';

export type WorkerStatus = z.infer<typeof WorkerStatusEventSchema>;
type WorkerState = WorkerStatus['state'];

/** How long a fresh worker may take to say 'ready' (tsx compiling the sources on a slow disk included). */
export const WORKER_START_TIMEOUT_MS = 60_000;
/** How long a worker asked to shut down may take before it is killed. */
const SHUTDOWN_GRACE_MS = 3_000;

export interface LoadTarget {
  modelId: string;
  precision: Precision;
  /** The built variant's folder. */
  dir: string;
  /** Where the plan wants it to run. */
  device: WorkerDevice;
  /** Why the plan chose the CPU, when it did. */
  cpuReason: string | null;
  /** The plan's memory estimate, shown beside the measured memory. */
  estimatedBytes: number | null;
}

export interface LoadOutcome {
  device: WorkerDevice;
  /** Why it runs on the CPU (the plan's reason, or WebGPU's failure), or null on the GPU. */
  cpuReason: string | null;
  memoryBytes: number;
  /** False when the variant was already loaded and nothing happened. */
  loadedNow: boolean;
}

export type GenerationInput = Omit<GenerateRequest, 'type' | 'requestId'>;
export type CompletionInput = Omit<CompleteRequest, 'type' | 'requestId'>;
/** A token's text (and, for completions that asked, its logprobs). */
export type TokenListener = (text: string, logprobs: TokenLogprobsData | null) => void;

export interface EngineGeneration {
  readonly requestId: string;
  /** Resolves with the whole reply and its stats (an abort included); rejects with an ApiError. */
  readonly done: Promise<GenerationDone>;
  abort(): void;
}

/** The WebGPU provider did not start: the host retries on the CPU. */
class WebGpuFailure extends Error {
  override name = 'WebGpuFailure';
}

type FinalReply = ModelLoaded | GenerationDone | PerplexityMeasured;

interface Pending {
  resolve(reply: FinalReply): void;
  reject(error: Error): void;
  onToken?: TokenListener;
}

/** One launched worker process and the requests waiting on it. */
interface Connection {
  handle: WorkerHandle;
  ready: Promise<void>;
  isReady: boolean;
  exited: boolean;
  /** Set when the host itself ends the process (release, close): no restart, no 'crashed'. */
  stopping: boolean;
  pending: Map<string, Pending>;
}

interface LoadedVariant {
  target: LoadTarget;
  device: WorkerDevice;
  cpuReason: string | null;
  memoryBytes: number;
}

export class EngineHost {
  private readonly launcher: WorkerLauncher;
  private readonly bus: EventBus;
  private connection: Connection | null = null;
  private loaded: LoadedVariant | null = null;
  private state: WorkerState = 'idle';
  private message: string | null = null;
  /** Loads run one at a time. */
  private loadQueue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Generations running in the worker now (it answers many at once). */
  private generationsRunning = 0;
  /** The variant replies (the chat's and the API's) use now: those with it run at once, another waits. */
  readonly replies = new ReplyGate();
  /** Called with how the worker ended when it died on its own (the chat service tells the user). */
  onCrash: ((description: string) => void) | null = null;

  constructor(launcher: WorkerLauncher, bus: EventBus) {
    this.launcher = launcher;
    this.bus = bus;
  }

  status(): WorkerStatus {
    const loaded = this.loaded;
    return {
      type: 'worker.status',
      state: this.state,
      modelId: loaded?.target.modelId ?? null,
      precision: loaded?.target.precision ?? null,
      device: loaded?.device ?? null,
      cpuReason: loaded?.cpuReason ?? null,
      memoryBytes: loaded?.memoryBytes ?? null,
      estimatedBytes: loaded?.target.estimatedBytes ?? null,
      message: this.message,
    };
  }

  /** The OS process id of the running worker, if one runs. */
  get workerPid(): number | undefined {
    return this.connection && !this.connection.exited ? this.connection.handle.pid : undefined;
  }

  isLoaded(modelId: string): boolean {
    return this.loaded?.target.modelId === modelId;
  }

  /** Loads the variant unless it is already loaded (one load at a time). */
  load(target: LoadTarget): Promise<LoadOutcome> {
    const run = this.loadQueue.then(
      () => this.loadNow(target),
      () => this.loadNow(target),
    );
    this.loadQueue = run.catch(() => {});
    return run;
  }

  private async loadNow(target: LoadTarget): Promise<LoadOutcome> {
    const current = this.loaded;
    if (current && current.target.dir === target.dir && !this.connection?.exited) {
      return { device: current.device, cpuReason: current.cpuReason, memoryBytes: current.memoryBytes, loadedNow: false };
    }
    this.loaded = null;
    this.setState('loading', `Loading ${target.modelId} (${target.precision})`);
    try {
      const connection = await this.ensureWorker();
      let device = target.device;
      let cpuReason = target.device === 'cpu' ? target.cpuReason : null;
      let reply: ModelLoaded;
      try {
        reply = (await this.request(connection, { type: 'load', requestId: randomUUID(), modelDir: target.dir, device })) as ModelLoaded;
      } catch (error) {
        if (!(error instanceof WebGpuFailure)) throw error;
        device = 'cpu';
        cpuReason = `the WebGPU provider failed: ${error.message}`;
        reply = (await this.request(connection, { type: 'load', requestId: randomUUID(), modelDir: target.dir, device })) as ModelLoaded;
      }
      this.loaded = { target, device, cpuReason, memoryBytes: reply.memoryBytes };
      this.setState('ready', null);
      return { device, cpuReason, memoryBytes: reply.memoryBytes, loadedNow: true };
    } catch (error) {
      const failure = error instanceof ApiError ? error : new ApiError('model-load-failed', error instanceof Error ? error.message : String(error));
      if (this.state === 'loading') this.setState(this.connection && !this.connection.exited ? 'idle' : 'crashed', failure.message);
      throw failure;
    }
  }

  /** Starts a generation with the loaded model; tokens go to `onToken` as they come. */
  generate(input: GenerationInput, onToken: (text: string) => void): EngineGeneration {
    return this.startGeneration({ type: 'generate', requestId: randomUUID(), ...input }, onToken);
  }

  /** Starts an API completion (the /v1 server) with the loaded model; tokens, with their logprobs when asked for, go to `onToken`. */
  complete(input: CompletionInput, onToken: TokenListener): EngineGeneration {
    return this.startGeneration({ type: 'complete', requestId: randomUUID(), ...input }, onToken);
  }

  private startGeneration(message: (GenerateRequest | CompleteRequest) & { requestId: string }, onToken: TokenListener): EngineGeneration {
    const { requestId } = message;
    const connection = this.connection;
    if (!connection || connection.exited || !this.loaded) {
      const done = Promise.reject(new ApiError('model-load-failed', 'No model is loaded in the worker; load the conversation\'s model first.'));
      return { requestId, done, abort: () => {} };
    }
    this.setState('busy', null);
    this.generationsRunning += 1;
    // 'ready' once the last generation running ends.
    const ended = () => --this.generationsRunning === 0;
    const done = this.request(connection, message, onToken).then(
      (reply) => {
        if (ended() && this.connection === connection) this.setState('ready', null);
        return reply as GenerationDone;
      },
      (error: unknown) => {
        if (ended() && this.connection === connection && !connection.exited) this.setState('ready', null);
        throw error;
      },
    );
    return { requestId, done, abort: () => connection.handle.send({ type: 'abort', requestId }) };
  }

  /**
   * Loads the variant (unless it is loaded) and measures its perplexity on `text` in the worker.
   * Queued with the loads, so no other load can swap the model between the two steps; the model
   * stays loaded afterwards, and the next reply loads its own variant as usual.
   */
  measurePerplexity(target: LoadTarget, text: string): Promise<PerplexityMeasured> {
    const run = this.loadQueue.then(
      () => this.measureNow(target, text),
      () => this.measureNow(target, text),
    );
    this.loadQueue = run.catch(() => {});
    return run;
  }

  private async measureNow(target: LoadTarget, text: string): Promise<PerplexityMeasured> {
    await this.loadNow(target);
    const connection = this.connection;
    if (!connection || connection.exited) throw new ApiError('worker-crashed', 'The inference worker stopped before the measurement started.');
    this.setState('busy', `Measuring the quality of ${target.modelId} (${target.precision})`);
    try {
      return (await this.request(connection, { type: 'perplexity', requestId: randomUUID(), text })) as PerplexityMeasured;
    } finally {
      if (this.connection === connection && !connection.exited) this.setState('ready', null);
    }
  }

  /**
   * Unloads whatever is loaded because the user asked to: ends the worker, which gives all of the
   * model's memory back to the system (a session's native allocations are not reliably returned
   * by releasing it inside a live process). Queued behind a load in progress; the next load
   * starts a fresh worker.
   */
  unload(): Promise<void> {
    const run = this.loadQueue.then(
      () => this.unloadNow(),
      () => this.unloadNow(),
    );
    this.loadQueue = run.catch(() => {});
    return run;
  }

  private async unloadNow(): Promise<void> {
    if (!this.loaded && (!this.connection || this.connection.exited)) return;
    await this.stopWorker();
    this.loaded = null;
    this.setState('idle', null);
  }

  /** Unloads a model (before it is deleted) by ending the worker; the next load starts a fresh one. */
  async release(modelId: string): Promise<void> {
    if (!this.isLoaded(modelId)) return;
    await this.stopWorker();
    this.loaded = null;
    this.setState('idle', null);
  }

  /** Unloads the loaded variant if its folder is inside `dir` (an adapter's builds, before they are deleted). */
  async releaseLoadedFrom(dir: string): Promise<void> {
    const loadedDir = this.loaded?.target.dir;
    if (!loadedDir || relative(dir, loadedDir).startsWith('..') || isAbsolute(relative(dir, loadedDir))) return;
    await this.stopWorker();
    this.loaded = null;
    this.setState('idle', null);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stopWorker();
  }

  // ---- the worker process ----

  private ensureWorker(): Promise<Connection> {
    if (this.closed) return Promise.reject(new ApiError('internal', 'Hearth is shutting down.'));
    const current = this.connection;
    if (current && !current.exited) return current.ready.then(() => current);
    const connection = this.launch();
    return connection.ready.then(() => connection);
  }

  private launch(): Connection {
    const handle = this.launcher.launch();
    let resolveReady!: () => void;
    let rejectReady!: (error: Error) => void;
    const connection: Connection = {
      handle,
      ready: new Promise<void>((resolve, reject) => {
        resolveReady = resolve;
        rejectReady = reject;
      }),
      isReady: false,
      exited: false,
      stopping: false,
      pending: new Map(),
    };
    connection.ready.catch(() => {}); // observed by whoever awaits it; a restart nobody waits for must not be unhandled
    this.connection = connection;
    const timer = setTimeout(() => {
      rejectReady(new ApiError('internal', `The inference worker did not start within ${WORKER_START_TIMEOUT_MS / 1000} s.`));
      handle.kill();
    }, WORKER_START_TIMEOUT_MS);
    timer.unref();

    handle.onMessage((raw) => {
      const parsed = WorkerReplySchema.safeParse(raw);
      if (!parsed.success) {
        console.error(`hearth: ignored a malformed message from the worker: ${describeIssues(parsed.error)}`);
        return;
      }
      const reply = parsed.data;
      if (reply.type === 'ready') {
        clearTimeout(timer);
        connection.isReady = true;
        resolveReady();
        return;
      }
      const pending = reply.requestId === null ? undefined : connection.pending.get(reply.requestId);
      if (!pending) return; // a reply to a request already given up on
      if (reply.type === 'token') {
        pending.onToken?.(reply.text, null);
        return;
      }
      if (reply.type === 'completion-token') {
        pending.onToken?.(reply.text, reply.logprobs);
        return;
      }
      connection.pending.delete(reply.requestId!);
      if (reply.type === 'failed') pending.reject(workerFailure(reply.error));
      else pending.resolve(reply);
    });

    handle.onExit((exit) => {
      clearTimeout(timer);
      connection.exited = true;
      const description = describeExit(exit);
      // Not 'worker-crashed' (which promises a restart): a worker that cannot start is a broken install.
      rejectReady(new ApiError('internal', `The inference worker ${description} before it was ready; check Hearth's installation (its output above says more).`));
      const failure = new ApiError('worker-crashed', `The inference worker ${description}.`);
      for (const pending of connection.pending.values()) pending.reject(failure);
      connection.pending.clear();
      if (this.connection !== connection || connection.stopping) return;
      this.loaded = null;
      this.setState('crashed', `The inference worker ${description}.`);
      this.onCrash?.(description);
      // A worker that ran restarts at once; one that never started is retried at the next load, not in a loop.
      if (connection.isReady && !this.closed) this.restart();
    });
    return connection;
  }

  private restart(): void {
    this.setState('restarting', 'Restarting the inference worker');
    const connection = this.launch();
    connection.ready.then(
      () => {
        if (this.connection === connection && this.state === 'restarting') this.setState('idle', 'The inference worker restarted.');
      },
      (error: Error) => {
        if (this.connection === connection) this.setState('crashed', error.message);
      },
    );
  }

  private request(connection: Connection, message: WorkerRequest & { requestId: string }, onToken?: TokenListener): Promise<FinalReply> {
    return new Promise((resolve, reject) => {
      if (connection.exited) {
        reject(new ApiError('worker-crashed', 'The inference worker is not running.'));
        return;
      }
      connection.pending.set(message.requestId, { resolve, reject, onToken });
      connection.handle.send(message);
    });
  }

  private async stopWorker(): Promise<void> {
    const connection = this.connection;
    if (!connection || connection.exited) return;
    connection.stopping = true;
    const exited = new Promise<void>((resolve) => connection.handle.onExit(() => resolve()));
    connection.handle.send({ type: 'shutdown' });
    const timer = setTimeout(() => connection.handle.kill(), SHUTDOWN_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  private setState(state: WorkerState, message: string | null): void {
    this.state = state;
    this.message = message;
    this.bus.emit(this.status());
  }
}

function workerFailure(error: WorkerError): Error {
  if (error.code === 'webgpu-failed') return new WebGpuFailure(error.message);
  return new ApiError(error.code, error.message);
}

function describeExit(exit: WorkerExit): string {
  if (exit.startError) return `could not start (${exit.startError})`;
  if (exit.signal) return `was killed (${exit.signal})`;
  return `exited with code ${exit.code ?? 'unknown'}`;
}
