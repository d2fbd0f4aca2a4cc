// The library's LoRA adapters: the one a completed job trained, or one PEFT made elsewhere
// (imported from the folder save_pretrained wrote). Either way its two files are checked against
// the base model and copied into <dataDir>/adapters/<id>, so a later change to the job's folder
// or the user's folder cannot change what a conversation chats with. Delete removes the files
// and the builds made with it; merge folds it into a new library model.
//
// Both copies and merges are written into a partial folder and renamed into place when complete;
// the partial adapter folders a killed Hearth left are removed at start-up (a merge's, under the
// model's folder, with the partial builds: see variant-builds.ts).
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { ApiError } from '../common/contracts/api-error.ts';
import type { Adapter } from '../common/contracts/jobs.ts';
import type { ModelSummary } from '../common/contracts/models.ts';
import { partialBuildDir, removeStalePartialBuilds } from '../engine/builder/partial-build-dir.ts';
import type { AdapterRecord } from '../store/adapters-repository.ts';
import type { JobRecord } from '../store/jobs-repository.ts';
import type { Store } from '../store/store.ts';
import { mergeAdapterIntoFolder } from '../train/merge-adapter-folder.ts';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, AdapterFileError, readPeftAdapter } from '../train/peft-adapter-files.ts';
import { checkLoraArchitecture, LoraTargetError } from '../train/lora-targets.ts';
import { adapterSummary, requireAdapter } from './adapter-records.ts';
import type { EventBus } from './event-bus.ts';
import type { LibraryService } from './library-service.ts';
import { isInside } from './model-folder-check.ts';
import { adapterDataDir, adaptersRoot, adaptedVariantsDir, mergedModelSourceDir, modelDataDir, modelsRoot } from './model-paths.ts';
import { requireHuggingFaceFolder, requireModel, specOf } from './model-records.ts';

export interface AdapterDependencies {
  library: LibraryService;
  /** Why the adapter cannot be deleted now (a reply or a build uses it), or null. */
  busyReason(adapter: AdapterRecord): string | null;
  /** Unloads the adapter's build from the inference worker if it is loaded. */
  release(adapter: AdapterRecord): Promise<void>;
}

export class AdapterService {
  private readonly store: Store;
  private readonly dataDir: string;
  private readonly bus: EventBus;
  private readonly dependencies: AdapterDependencies;

  constructor(store: Store, dataDir: string, bus: EventBus, dependencies: AdapterDependencies) {
    this.store = store;
    this.dataDir = dataDir;
    this.bus = bus;
    this.dependencies = dependencies;
    // No copy of this process's has started yet, so its own process id marks a stale folder too.
    removeStalePartialBuilds(adaptersRoot(dataDir), { ownAreStale: true });
  }

  list(): Adapter[] {
    return this.store.adapters.list().map(adapterSummary);
  }

  /** Imports the folder PEFT's save_pretrained wrote, after checking it fits the base model. */
  async importPeft(input: { path: string; baseModelId: string; name?: string }): Promise<Adapter> {
    const path = input.path.trim();
    if (!isAbsolute(path)) throw new ApiError('invalid-input', `'${path}' is not an absolute path. Give the full path of the adapter folder.`);
    if (path.split(/[\\/]/).includes('..')) throw new ApiError('invalid-input', `'${path}' contains '..'. Give the adapter folder's own path, without '..' segments.`);
    const info = await stat(path).catch(() => null);
    if (!info?.isDirectory()) throw new ApiError('invalid-input', `${path} is not a folder. Give the folder holding ${ADAPTER_CONFIG_FILE} and ${ADAPTER_WEIGHTS_FILE}.`);
    const record = await this.add(path, { baseModelId: input.baseModelId, name: input.name?.trim() || basename(path), source: 'imported', jobId: null });
    return adapterSummary(record);
  }

  /** Registers the adapter a completed job wrote in its folder. */
  async registerTrained(job: JobRecord, outDir: string): Promise<AdapterRecord> {
    const model = this.store.models.get(job.baseModelId);
    const data = job.trainPath ? basename(job.trainPath).replace(/\.jsonl?$/i, '') : 'fine-tune';
    return this.add(outDir, { baseModelId: job.baseModelId, name: `${data} on ${model?.name ?? job.baseModelId}`, source: 'trained', jobId: job.id });
  }

  async delete(adapterId: string): Promise<void> {
    const adapter = requireAdapter(this.store, adapterId);
    const busy = this.dependencies.busyReason(adapter);
    if (busy) throw new ApiError('busy', `${adapter.name} cannot be deleted now: ${busy}. Wait for it to finish, or stop it, and delete again.`);
    await this.dependencies.release(adapter);
    await this.removeInside(adaptersRoot(this.dataDir), adapterDataDir(this.dataDir, adapter.id));
    await this.removeInside(modelsRoot(this.dataDir), adaptedVariantsDir(this.dataDir, adapter.baseModelId, adapter.id));
    this.store.adapters.delete(adapter.id);
    this.bus.emit({ type: 'adapters.changed' });
    this.bus.emit({ type: 'conversations.changed' });
  }

  /** Folds the adapter into its base model's weights as a new library model (a Hugging Face folder Hearth owns). */
  async mergeIntoModel(adapterId: string, name: string): Promise<ModelSummary> {
    const adapter = requireAdapter(this.store, adapterId);
    const base = requireModel(this.store, adapter.baseModelId);
    const modelId = randomUUID();
    const source = mergedModelSourceDir(this.dataDir, modelId);
    const partial = partialBuildDir(source);
    try {
      await mkdir(modelDataDir(this.dataDir, modelId), { recursive: true });
      await mergeAdapterIntoFolder(base.sourceDir, adapter.dir, partial);
      await rename(partial, source);
      return await this.dependencies.library.registerOwnFolder(modelId, source, name.trim());
    } catch (error) {
      await this.removeInside(modelsRoot(this.dataDir), modelDataDir(this.dataDir, modelId));
      if (error instanceof ApiError) throw error;
      throw new ApiError('internal', `Merging ${adapter.name} into ${base.name} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async add(fromDir: string, details: Pick<AdapterRecord, 'baseModelId' | 'name' | 'source' | 'jobId'>): Promise<AdapterRecord> {
    const model = requireModel(this.store, details.baseModelId);
    requireHuggingFaceFolder(model, 'add an adapter to');
    let settings;
    try {
      checkLoraArchitecture(specOf(model));
      settings = (await readPeftAdapter(fromDir, specOf(model))).settings;
    } catch (error) {
      if (error instanceof AdapterFileError || error instanceof LoraTargetError) throw new ApiError('invalid-input', error.message);
      throw error;
    }
    const id = randomUUID();
    const dir = adapterDataDir(this.dataDir, id);
    const partial = partialBuildDir(dir);
    try {
      await mkdir(partial, { recursive: true });
      for (const file of [ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE]) await copyFile(join(fromDir, file), join(partial, file));
      await rename(partial, dir);
    } catch (error) {
      await rm(partial, { recursive: true, force: true });
      throw error;
    }
    const record = this.store.adapters.create({ id, ...details, dir, r: settings.r, alpha: settings.alpha });
    this.bus.emit({ type: 'adapters.changed' });
    return record;
  }

  /** rm -r, but only ever strictly inside `root` (paths come from the store, and are checked before a recursive delete). */
  private async removeInside(root: string, dir: string): Promise<void> {
    if (!isInside(root, dir) || dir === root) throw new ApiError('internal', `Refusing to delete ${dir}: it is not inside ${root}.`);
    await rm(dir, { recursive: true, force: true });
  }
}
