// Builds a model's precision variants into <dataDir>/models/<id>/<precision>-fused, and the
// model with an adapter folded in into <dataDir>/models/<id>/adapters/<adapterId>/<precision>, once each:
// a second request for a variant being built joins that build, and a built one is reused.
// int8 (and int4's 8-bit matrices) is built with the integer-GEMM kernel
// ('dynamic') when it will run on the CPU and with MatMulNBits ('blockwise') when the plan puts
// it on the GPU, where the dynamic kernel does not run. A model imported from a GGUF file builds
// its fp32 variant as the file was downloaded (its quantized weights kept in their ggml blocks:
// the dropdown's "Q4_K_M (as downloaded)"), and fp16/int8/int4 by quantizing its weights again.
//
// Every build runs in a build worker process of its own (variant-build-run.ts): quantizing is
// long synchronous work, and in this process it would freeze the window and the web shell. The
// worker reports the builder's steps, the bytes written and the time left, forwarded as
// 'model.build' events; cancel() ends the process, removes what it wrote and leaves the variant
// not built, as if it had never been asked for.
//
// A build is written into a partial folder (named with this process's id, so that a start after
// a crash finds it stale even when the worker outlived us for a moment) and renamed into place
// here, once the worker says it is complete: a build cut off (kill -9, a crash) leaves no folder
// that looks built; at start-up the variant it was building is marked failed and the partial
// folders that dead builds left are removed. Closing the services (a quit) cancels the builds.
import { existsSync, readdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError } from '../common/contracts/api-error.ts';
import type { ApiEvent } from '../common/contracts/events.ts';
import { MANIFEST_FILE, type Int8Kernel, type Precision } from '../common/model-manifest.ts';
import { partialBuildDir, removeStalePartialBuilds } from '../engine/builder/partial-build-dir.ts';
import type { AdapterRecord } from '../store/adapters-repository.ts';
import type { ModelVariantRecord } from '../store/models-repository.ts';
import type { Store } from '../store/store.ts';
import type { BuildProgress, StartBuildRequest } from '../worker/build-protocol.ts';
import type { WorkerLauncher } from '../worker/worker-launcher.ts';
import type { EventBus } from './event-bus.ts';
import type { HardwareService } from './hardware-service.ts';
import { requireModel } from './model-records.ts';
import { adaptedVariantDir, adaptedVariantsRoot, modelDataDir, modelsRoot, VARIANT_ATTENTION, variantDir } from './model-paths.ts';
import { VariantBuildRun, type VariantBuildOutcome } from './variant-build-run.ts';

/** A build ended by cancel() (or by closing the services); its variant is left not built. */
class BuildCancelledError extends ApiError {
  constructor(what: string) {
    super('model-build-failed', `${what} was cancelled.`);
  }
}

/** How the build's worker is asked to build, less the folders. */
type BuildSettings = Pick<StartBuildRequest, 'int8Kernel' | 'expectedWeightBytes'>;

export class VariantBuilds {
  private readonly store: Store;
  private readonly dataDir: string;
  private readonly bus: EventBus;
  private readonly hardware: HardwareService;
  private readonly launcher: WorkerLauncher;
  /** Builds in progress by `${modelId}/${precision}`. */
  private readonly running = new Map<string, Promise<ModelVariantRecord>>();
  /** Builds with an adapter in progress, by `${modelId}/adapter-${adapterId}/${precision}`. */
  private readonly adaptedRunning = new Map<string, Promise<string>>();
  /** The worker process of each build in progress, by the same keys; null until it is launched (while the plan is read). */
  private readonly runs = new Map<string, VariantBuildRun | null>();
  /** Builds cancelled before their worker was launched. */
  private readonly cancelledEarly = new Set<string>();
  private closed = false;

  constructor(store: Store, dataDir: string, bus: EventBus, hardware: HardwareService, launcher: WorkerLauncher) {
    this.store = store;
    this.dataDir = dataDir;
    this.bus = bus;
    this.hardware = hardware;
    this.launcher = launcher;
    this.markAbandonedBuilds();
    this.removeAbandonedPartials();
  }

  /** Whether any variant of the model (with an adapter or not) is being built. */
  isBuilding(modelId: string): boolean {
    return [...this.running.keys(), ...this.adaptedRunning.keys()].some((key) => key.startsWith(`${modelId}/`));
  }

  /** Whether a build with this adapter folded in is running. */
  isBuildingAdapter(adapterId: string): boolean {
    return [...this.adaptedRunning.keys()].some((key) => key.includes(`/adapter-${adapterId}/`));
  }

  /** Starts the build if needed and returns at once (the 'models.buildVariant' method); failures arrive as events. */
  start(modelId: string, precision: Precision): void {
    requireModel(this.store, modelId);
    // A variant already built still gets its 'ready' event: the UI's progress bar waits for one.
    if (this.readyVariant(modelId, precision)) this.emit(modelId, precision, 'ready', 1, 1, 'ready', null);
    this.ensure(modelId, precision).catch(() => {
      // Reported by the 'failed' build event and recorded on the variant row.
    });
  }

  /**
   * Stops the build of a variant (the 'models.cancelBuild' method): its process is ended, what it
   * wrote removed, and the variant left not built. Returns false when no such build is running
   * (or it completed before the cancel reached it).
   */
  async cancel(modelId: string, precision: Precision): Promise<boolean> {
    const key = `${modelId}/${precision}`;
    const build = this.running.get(key);
    if (!build) return false;
    this.stopRun(key);
    return build.then(
      () => false,
      (error: unknown) => error instanceof BuildCancelledError,
    );
  }

  /** Cancels every build (Hearth is quitting) and waits until each has removed what it wrote. */
  async close(): Promise<void> {
    this.closed = true;
    const builds = [...this.running.values(), ...this.adaptedRunning.values()];
    for (const key of [...this.running.keys(), ...this.adaptedRunning.keys()]) this.stopRun(key);
    await Promise.allSettled(builds);
  }

  /** The ready variant, built first when needed (shared with a build already running). */
  ensure(modelId: string, precision: Precision): Promise<ModelVariantRecord> {
    const model = requireModel(this.store, modelId);
    const ready = this.readyVariant(modelId, precision);
    if (ready) return Promise.resolve(ready);
    const key = `${modelId}/${precision}`;
    const running = this.running.get(key);
    if (running) return running;
    // A GGUF model's fp32 slot holds its build as downloaded (the file's own types, kept exactly,
    // float tensors as float): the precision set has no value of its own for it, and a decoded
    // fp32 copy would only be larger with the same values. fp16/int8/int4 requantize.
    const asDownloaded = model.gguf !== null && precision === 'fp32';
    this.runs.set(key, null);
    const build: Promise<ModelVariantRecord> = this.build(key, model.id, model.sourceDir, precision, asDownloaded).finally(() => {
      // build() lets go of the key as it reports the end; a new build of the variant may hold it by now.
      if (this.running.get(key) === build) this.running.delete(key);
      if (!this.running.has(key)) this.forgetRun(key);
    });
    this.running.set(key, build);
    return build;
  }

  /**
   * The folder of the model built with the adapter folded in (W + (alpha/r)·B·A, then quantized
   * like any variant), built first when needed and cached under the model's data folder. It has
   * no row of its own: the folder is the cache, and it goes with the adapter or the model.
   */
  ensureAdapted(adapter: AdapterRecord, precision: Precision): Promise<string> {
    const model = requireModel(this.store, adapter.baseModelId);
    const dir = adaptedVariantDir(this.dataDir, model.id, adapter.id, precision);
    if (existsSync(join(dir, MANIFEST_FILE))) return Promise.resolve(dir);
    // Keyed under the model, so isBuilding(model) holds while it runs (the model cannot be deleted under it).
    const key = `${model.id}/adapter-${adapter.id}/${precision}`;
    const running = this.adaptedRunning.get(key);
    if (running) return running;
    const what = `Building ${model.name} with the adapter ${adapter.name} at ${precision}`;
    this.runs.set(key, null);
    const build = (async () => {
      this.refuseWhenClosed();
      const partial = partialBuildDir(dir);
      try {
        const settings = await this.settingsFor(model.id, precision);
        const request = { sourceDir: model.sourceDir, adapterDir: adapter.dir, outDir: partial, precision, attention: VARIANT_ATTENTION, asDownloaded: false, ...settings };
        await this.runWorker(key, what, request, () => {});
        await rm(dir, { recursive: true, force: true });
        await rename(partial, dir);
        return dir;
      } catch (error) {
        await rm(partial, { recursive: true, force: true });
        if (error instanceof ApiError) throw error;
        throw new ApiError('model-build-failed', `${what} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    })().finally(() => {
      this.adaptedRunning.delete(key);
      this.forgetRun(key);
    });
    this.adaptedRunning.set(key, build);
    return build;
  }

  /** The variant when it is built and its folder is still complete (a rebuild replaces one whose files went missing). */
  private readyVariant(modelId: string, precision: Precision): ModelVariantRecord | null {
    const variant = this.store.models.findVariant(modelId, precision, VARIANT_ATTENTION);
    return variant?.status === 'ready' && existsSync(join(variant.dir, MANIFEST_FILE)) ? variant : null;
  }

  private async build(key: string, modelId: string, sourceDir: string, precision: Precision, asDownloaded: boolean): Promise<ModelVariantRecord> {
    this.refuseWhenClosed();
    const dir = variantDir(this.dataDir, modelId, precision);
    const variant = this.store.models.upsertVariant({ modelId, precision, attention: VARIANT_ATTENTION, dir, status: 'building', weightBytes: null, error: null });
    this.bus.emit({ type: 'library.changed' });
    this.emit(modelId, precision, 'building', 0, 1, 'starting', null);
    // Built beside the target and moved into place when complete, so a build cut off halfway never looks done.
    const partial = partialBuildDir(dir);
    try {
      const settings = await this.settingsFor(modelId, precision);
      const request = { sourceDir, adapterDir: null, outDir: partial, precision, attention: VARIANT_ATTENTION, asDownloaded, ...settings };
      const { weightBytes } = await this.runWorker(key, `The ${precision} build`, request, (progress) =>
        this.emit(modelId, precision, 'building', progress.done, progress.total, progress.label, null, {
          bytesWritten: progress.bytesWritten,
          expectedBytes: settings.expectedWeightBytes,
          etaMs: progress.etaMs,
        }),
      );
      await rm(dir, { recursive: true, force: true });
      await rename(partial, dir);
      const ready = this.store.models.updateVariant(variant.id, { status: 'ready', weightBytes, error: null });
      if (!ready) throw new ApiError('not-found', `The model ${modelId} was deleted while its ${precision} variant was being built.`);
      // No longer running once the UI hears it is ready (it may delete the model at once).
      this.running.delete(key);
      this.emit(modelId, precision, 'ready', 1, 1, 'ready', null);
      this.bus.emit({ type: 'library.changed' });
      return ready;
    } catch (error) {
      await rm(partial, { recursive: true, force: true });
      if (error instanceof BuildCancelledError) {
        // Not a failure: the variant is left as if it had never been asked for.
        this.store.models.deleteVariant(variant.id);
        this.running.delete(key);
        this.emit(modelId, precision, 'cancelled', 0, 1, 'cancelled', null);
        this.bus.emit({ type: 'library.changed' });
        throw error;
      }
      const message = `Building the ${precision} variant failed: ${error instanceof Error ? error.message : String(error)}`;
      this.store.models.updateVariant(variant.id, { status: 'failed', error: message });
      this.running.delete(key);
      const failure = error instanceof ApiError ? error : new ApiError('model-build-failed', message);
      this.emit(modelId, precision, 'failed', 0, 1, 'failed', failure.toData());
      this.bus.emit({ type: 'library.changed' });
      throw failure;
    }
  }

  /**
   * Runs the build in a worker process of its own and answers its weight bytes; a failed build
   * rejects with the builder's message (an ApiError keeps its code), a cancelled one with
   * BuildCancelledError, once the process is gone.
   */
  private async runWorker(key: string, what: string, request: Omit<StartBuildRequest, 'type'>, onProgress: (progress: BuildProgress) => void): Promise<{ weightBytes: number }> {
    if (this.cancelledEarly.delete(key) || this.closed) throw new BuildCancelledError(what);
    const run = VariantBuildRun.start(this.launcher, request, onProgress);
    this.runs.set(key, run);
    const outcome: VariantBuildOutcome = await run.done;
    switch (outcome.kind) {
      case 'built':
        return { weightBytes: outcome.weightBytes };
      case 'cancelled':
        throw new BuildCancelledError(what);
      case 'failed':
        if (outcome.code !== null) throw new ApiError(outcome.code, outcome.message);
        throw new Error(outcome.message);
      case 'exited':
        // Killed from outside, or by the system when memory ran out: worth a second try.
        throw new Error(`the build process ${outcome.description} before it finished. Try again; if it happens again, close other programs to free memory.`);
    }
  }

  /** Ends the build's process, or marks it cancelled when its process is not launched yet. */
  private stopRun(key: string): void {
    const run = this.runs.get(key);
    if (run) run.cancel();
    else if (run === null) this.cancelledEarly.add(key);
  }

  private forgetRun(key: string): void {
    this.runs.delete(key);
    this.cancelledEarly.delete(key);
  }

  private refuseWhenClosed(): void {
    if (this.closed) throw new ApiError('busy', 'Hearth is closing; the build was not started.');
  }

  /**
   * int8 is built with the integer-GEMM kernel where it will run on the CPU and with MatMulNBits
   * where the plan puts it on the GPU; the plan's weight bytes let the worker tell the time left.
   */
  private async settingsFor(modelId: string, precision: Precision): Promise<BuildSettings> {
    // int8 needs the plan to be built right; int4 without one builds for the CPU; the others build without the time left.
    const plan = await this.hardware.plan(modelId).catch((error: unknown) => {
      if (precision === 'int8') throw error;
      return null;
    });
    const option = plan?.plan.options.find((o) => o.precision === precision);
    // int4 builds' 8-bit matrices follow the same choice (quant-recipe.ts usesDynamicInt8).
    const int8Kernel: Int8Kernel | null = precision === 'int8' || precision === 'int4' ? (option?.device === 'gpu' ? 'blockwise' : 'dynamic') : null;
    const expectedWeightBytes = option && Number.isSafeInteger(option.weightBytes) && option.weightBytes > 0 ? option.weightBytes : null;
    return { int8Kernel, expectedWeightBytes };
  }

  /** A build still 'building' at start-up was cut off by a crash or quit. */
  private markAbandonedBuilds(): void {
    for (const model of this.store.models.list()) {
      for (const variant of this.store.models.listVariants(model.id)) {
        if (variant.status === 'building') {
          this.store.models.updateVariant(variant.id, { status: 'failed', error: 'The build was cut off when Hearth stopped; choose the precision again to rebuild it.' });
        }
      }
    }
  }

  /**
   * The partial folders of builds a killed or crashed Hearth left: beside the variants
   * (models/<id>/<precision>-fused.partial-*, and a merged model's source.partial-*) and beside
   * the builds with an adapter (models/<id>/adapters/<adapterId>/<precision>.partial-*). None of
   * this process's builds has started yet, so its own process id marks a stale folder too.
   */
  private removeAbandonedPartials(): void {
    for (const modelId of subfolders(modelsRoot(this.dataDir))) {
      removeStalePartialBuilds(modelDataDir(this.dataDir, modelId), { ownAreStale: true });
      for (const adapterId of subfolders(adaptedVariantsRoot(this.dataDir, modelId))) {
        removeStalePartialBuilds(join(adaptedVariantsRoot(this.dataDir, modelId), adapterId), { ownAreStale: true });
      }
    }
  }

  private emit(
    modelId: string,
    precision: Precision,
    state: BuildEventState,
    done: number,
    total: number,
    label: string,
    error: { code: ApiError['code']; message: string } | null,
    written?: { bytesWritten: number; expectedBytes: number | null; etaMs: number | null },
  ): void {
    this.bus.emit({ type: 'model.build', modelId, precision, state, done, total, label, error, ...written });
  }
}

type BuildEventState = Extract<ApiEvent, { type: 'model.build' }>['state'];

function subfolders(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch {
    return [];
  }
}
