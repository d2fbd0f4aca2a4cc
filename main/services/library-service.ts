// The model library: the bundled demo model (registered at every start-up, never deletable),
// models imported from Hugging Face folders or GGUF files (checked first; one that fails adds
// nothing; a GGUF file is read where it is, or copied into the data directory on request),
// models merged from an adapter (written by Hearth under its data directory), the list with
// architecture, parameters, context, size and built variants, and delete, which frees the
// variants' and adapters' disk and removes the row (the user's own folder is never touched).
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ApiError } from '../common/contracts/api-error.ts';
import type { ImportModelInput, ModelSummary } from '../common/contracts/models.ts';
import { countParameters } from '../engine/memory-plan/memory-plan.ts';
import { isGgufPath } from '../engine/gguf/gguf-model-source.ts';
import type { GgufSourceRecord, ModelRecord } from '../store/models-repository.ts';
import type { Store } from '../store/store.ts';
import type { EventBus } from './event-bus.ts';
import { checkGgufFile, type CheckedGgufFile } from './gguf-file-check.ts';
import { checkModelFolder, isInside, type CheckedModelFolder } from './model-folder-check.ts';
import { adapterDataDir, adaptersRoot, copiedGgufFile, modelDataDir, modelsRoot } from './model-paths.ts';
import { modelSummary, requireModel } from './model-records.ts';

/** The demo model shipped with Hearth, under <resourcesDir>/models/. */
export const BUNDLED_MODEL_ID = 'shakespeare-5m';
export const BUNDLED_MODEL_NAME = 'Shakespeare 5M (demo)';

/** What the library needs from the rest of the app when a model goes away. */
export interface LibraryDependencies {
  /** Why the model cannot be deleted right now (a build or a reply uses it), or null. */
  busyReason(modelId: string): string | null;
  /** Unloads the model from the worker if it is loaded. */
  release(modelId: string): Promise<void>;
}

export class LibraryService {
  private readonly store: Store;
  private readonly dataDir: string;
  private readonly bus: EventBus;
  private readonly dependencies: LibraryDependencies;

  constructor(store: Store, dataDir: string, bus: EventBus, dependencies: LibraryDependencies) {
    this.store = store;
    this.dataDir = dataDir;
    this.bus = bus;
    this.dependencies = dependencies;
  }

  /**
   * Registers (or refreshes: the app may have moved) the bundled demo model. Returns a notice for
   * the user when it is missing or unusable, instead of failing the start-up.
   */
  async registerBundled(resourcesDir: string): Promise<string | null> {
    const dir = join(resourcesDir, 'models', BUNDLED_MODEL_ID);
    if (!existsSync(dir)) return `The demo model is missing from ${dir}; reinstall Hearth to get it back. Imported models still work.`;
    try {
      const checked = await checkModelFolder(dir);
      this.store.models.upsert({
        id: BUNDLED_MODEL_ID,
        name: BUNDLED_MODEL_NAME,
        architecture: checked.spec.architecture,
        sourceDir: checked.dir,
        parameters: countParameters(checked.spec),
        contextLength: checked.spec.contextLength,
        sizeBytes: checked.sizeBytes,
        spec: checked.spec,
        isBundled: true,
      });
      return null;
    } catch (error) {
      return `The demo model in ${dir} cannot be used (${error instanceof Error ? error.message : String(error)}); reinstall Hearth to repair it.`;
    }
  }

  list(): ModelSummary[] {
    return this.store.models.list().map((model) => modelSummary(this.store, model));
  }

  get(modelId: string): ModelSummary {
    return modelSummary(this.store, requireModel(this.store, modelId));
  }

  /**
   * Imports a Hugging Face folder or a GGUF file after checking it; the same folder or file
   * imported again (where it is) returns the existing entry.
   */
  async importModel(input: ImportModelInput): Promise<ModelSummary> {
    if (await isGgufFile(input.path)) return this.importGguf(input);
    if (input.copy) throw new ApiError('invalid-input', `${input.path} is a folder: only a GGUF file can be copied into Hearth's data directory; a folder is read where it is.`);
    const checked = await checkModelFolder(input.path);
    const existing = this.store.models.list().find((model) => model.sourceDir === checked.dir);
    if (existing) return modelSummary(this.store, existing);
    return this.register(randomUUID(), checked, input.name?.trim() || basename(checked.dir));
  }

  /**
   * A GGUF file, checked where it is (so a bad file is refused before anything is copied), then
   * either recorded at its own path or copied into <dataDir>/models/<id>/gguf/ (through a
   * partial name, so a copy cut off never looks complete) and recorded there.
   */
  private async importGguf(input: ImportModelInput): Promise<ModelSummary> {
    const checked = await checkGgufFile(input.path);
    const name = input.name?.trim() || basename(checked.file).replace(/\.gguf$/i, '');
    if (!input.copy) {
      const existing = this.store.models.list().find((model) => model.sourceDir === checked.file);
      if (existing) return modelSummary(this.store, existing);
      return this.registerGguf(randomUUID(), checked, checked.file, name, false);
    }
    const id = randomUUID();
    const target = copiedGgufFile(this.dataDir, id, basename(checked.file));
    const partial = `${target}.partial-${process.pid}`;
    try {
      await mkdir(join(target, '..'), { recursive: true });
      await copyFile(checked.file, partial);
      // The copy is what will be read from now on: it must be the file that was checked.
      if ((await stat(partial)).size !== checked.sizeBytes) throw new Error(`the copy has ${(await stat(partial)).size} bytes, the file ${checked.sizeBytes}`);
      await rename(partial, target);
    } catch (error) {
      await rm(modelDataDir(this.dataDir, id), { recursive: true, force: true });
      throw new ApiError('internal', `Copying ${checked.file} into ${target} failed (${error instanceof Error ? error.message : String(error)}). Free some disk space, or import the file where it is.`);
    }
    return this.registerGguf(id, checked, target, name, true);
  }

  private registerGguf(id: string, checked: CheckedGgufFile, file: string, name: string, copied: boolean): ModelSummary {
    const gguf: GgufSourceRecord = { fileType: checked.fileType, weightBytes: checked.weightBytes, copied };
    return this.record({
      id,
      name,
      architecture: checked.spec.architecture,
      sourceDir: file,
      parameters: countParameters(checked.spec),
      contextLength: checked.spec.contextLength,
      sizeBytes: checked.sizeBytes,
      spec: checked.spec,
      isBundled: false,
      gguf,
    });
  }

  /** Adds a folder Hearth wrote itself (a merged model, under <dataDir>/models/<id>/source) with the id it was written for. */
  async registerOwnFolder(modelId: string, dir: string, name: string): Promise<ModelSummary> {
    return this.register(modelId, await checkModelFolder(dir), name);
  }

  private register(id: string, checked: CheckedModelFolder, name: string): ModelSummary {
    return this.record({
      id,
      name,
      architecture: checked.spec.architecture,
      sourceDir: checked.dir,
      parameters: countParameters(checked.spec),
      contextLength: checked.spec.contextLength,
      sizeBytes: checked.sizeBytes,
      spec: checked.spec,
      isBundled: false,
    });
  }

  private record(model: Omit<ModelRecord, 'createdAt' | 'gguf'> & { gguf?: GgufSourceRecord }): ModelSummary {
    const record = this.store.models.upsert(model);
    this.bus.emit({ type: 'library.changed' });
    return modelSummary(this.store, record);
  }

  async delete(modelId: string): Promise<void> {
    const model = requireModel(this.store, modelId);
    if (model.isBundled) throw new ApiError('invalid-input', `${model.name} ships with Hearth and cannot be deleted.`);
    const busy = this.dependencies.busyReason(modelId);
    if (busy) throw new ApiError('busy', `${model.name} cannot be deleted now: ${busy}. Wait for it to finish, or stop it, and delete again.`);
    await this.dependencies.release(modelId);
    const dir = modelDataDir(this.dataDir, modelId);
    // Only ever below <dataDir>/models: the id comes from the store, but a path is checked before an rm -r.
    if (!isInside(modelsRoot(this.dataDir), dir) || dir === modelsRoot(this.dataDir)) {
      throw new ApiError('internal', `Refusing to delete ${dir}: it is not inside ${modelsRoot(this.dataDir)}.`);
    }
    await rm(dir, { recursive: true, force: true });
    // Its adapters go with it (their rows by the foreign key's cascade, their files here).
    for (const adapter of this.store.adapters.list().filter((a) => a.baseModelId === modelId)) {
      const adapterDir = adapterDataDir(this.dataDir, adapter.id);
      if (isInside(adaptersRoot(this.dataDir), adapterDir)) await rm(adapterDir, { recursive: true, force: true });
    }
    this.store.models.delete(modelId);
    this.bus.emit({ type: 'library.changed' });
    this.bus.emit({ type: 'adapters.changed' });
    this.bus.emit({ type: 'conversations.changed' });
  }
}

/** A GGUF file (by its name or its first bytes), as opposed to a folder; a path that does not exist is the folder check's to refuse. */
async function isGgufFile(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => null);
  if (info?.isDirectory()) return false;
  return path.toLowerCase().endsWith('.gguf') || (info?.isFile() === true && isGgufPath(path));
}
