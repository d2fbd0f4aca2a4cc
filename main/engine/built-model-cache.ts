// Turns a model folder given on the command line into a built one. A built folder (hearth.json)
// is used as it is; a Hugging Face folder (config.json) or a GGUF file is built once into a cache and reused,
// so `hearth run <hf-dir>` costs a build only the first time. A cached build is redone when the
// source, the builder or the build options change, or when an earlier build never finished.
import { existsSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { MANIFEST_FILE, type AttentionMode, type ModelManifest, type Precision } from '../common/model-manifest.ts';
import { CONFIG_FILE, openModelSource } from './architectures/model-source.ts';
import { BUILDER_VERSION, buildFromSource } from './builder/build-model.ts';
import { partialBuildDir, removeStalePartialBuilds } from './builder/partial-build-dir.ts';
import { hashModelSource } from './builder/source-hash.ts';
import { isGgufPath, openGgufModelSource } from './gguf/gguf-model-source.ts';
import { readManifest } from './runtime/model-session.ts';

export interface ResolveBuiltModelOptions {
  /** Precision of a build from a Hugging Face folder (default 'fp32', exact on the CPU) or GGUF file (default:
   * as downloaded, the file's own types kept; a precision requantizes it). For a built folder, when given, it
   * must match the folder's own precision. */
  precision?: Precision;
  /** Default 'fused'. */
  attention?: AttentionMode;
  /** Where builds are cached. Default: $HEARTH_CACHE_DIR, else ~/.cache/hearth/builds. */
  cacheRoot?: string;
  /** Called while a build runs (never when a build is reused). */
  onProgress?: (done: number, total: number, label: string) => void;
}

/** The folder given is not a model Hearth can use as it is or build. */
export class ModelFolderError extends Error {
  override name = 'ModelFolderError';
}

export function defaultCacheRoot(): string {
  if (process.env.HEARTH_CACHE_DIR) return resolve(process.env.HEARTH_CACHE_DIR);
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'hearth', 'builds');
}

/** The built folder for `dir`: `dir` itself when it is built, else a cached build of it (made now if needed). */
export async function resolveBuiltModel(dir: string, options: ResolveBuiltModelOptions = {}): Promise<string> {
  if (!existsSync(dir)) throw new ModelFolderError(`${dir} does not exist. Give a built model folder (with ${MANIFEST_FILE}) or a Hugging Face model folder (with ${CONFIG_FILE}).`);
  if (!statSync(dir).isDirectory()) {
    if (isGgufPath(dir)) return cachedBuild(dir, options);
    throw new ModelFolderError(`${dir} is a file; give the model's folder (or a .gguf file) instead.`);
  }

  if (existsSync(join(dir, MANIFEST_FILE))) {
    if (options.precision !== undefined) {
      const manifest = await readManifest(dir);
      if (manifest.precision !== options.precision) {
        throw new ModelFolderError(
          `${dir} is already built in ${manifest.precision}; a precision (${options.precision}) can only be chosen for a Hugging Face folder. ` +
            'Leave it out, or pass the Hugging Face folder instead.',
        );
      }
    }
    return dir;
  }
  if (!existsSync(join(dir, CONFIG_FILE))) {
    throw new ModelFolderError(
      `${dir} is neither a built model (no ${MANIFEST_FILE}) nor a Hugging Face model folder (no ${CONFIG_FILE}). ` +
        'Point at the folder that holds config.json and the .safetensors files, or at a folder made by hearth build.',
    );
  }
  return cachedBuild(dir, options);
}

async function cachedBuild(sourceDir: string, options: ResolveBuiltModelOptions): Promise<string> {
  const asDownloaded = isGgufPath(sourceDir) && options.precision === undefined;
  const precision = options.precision ?? 'fp32';
  const attention = options.attention ?? 'fused';
  const cacheRoot = options.cacheRoot ?? defaultCacheRoot();
  const source = isGgufPath(sourceDir) ? await openGgufModelSource(sourceDir) : await openModelSource(sourceDir);
  try {
    const sourceHash = await hashModelSource(source.spec, sourceDir, source.checkpoint);
    const name = basename(resolve(sourceDir)).replace(/[^\w.-]+/g, '_');
    const key = `${name}-${sourceHash.slice(0, 16)}-${asDownloaded ? 'as-downloaded' : precision}-${attention}`;
    const target = join(cacheRoot, key);
    const wanted = { sourceHash, precision, attention, asDownloaded };
    if (await isCurrentBuild(target, wanted)) return target;

    // Built beside the target and moved into place when complete, so that a build interrupted
    // halfway, or a second process building the same model, never leaves a target that looks done.
    // What killed builds left behind goes first (this process may be building another model here).
    await mkdir(cacheRoot, { recursive: true });
    removeStalePartialBuilds(cacheRoot, { ownAreStale: false });
    const partial = partialBuildDir(target);
    try {
      await buildFromSource(source, partial, { precision, asDownloaded, attention, onProgress: options.onProgress, sourceDir });
      await rm(target, { recursive: true, force: true });
      try {
        await rename(partial, target);
      } catch (error) {
        // Another process finished the same build first: theirs is as good as ours.
        if (!(await isCurrentBuild(target, wanted))) throw error;
      }
    } finally {
      await rm(partial, { recursive: true, force: true });
    }
    return target;
  } finally {
    await source.close();
  }
}

interface WantedBuild {
  sourceHash: string;
  /** Ignored for an as-downloaded build, whose precision the file decides. */
  precision: Precision;
  attention: AttentionMode;
  asDownloaded: boolean;
}

async function isCurrentBuild(dir: string, { sourceHash, precision, attention, asDownloaded }: WantedBuild): Promise<boolean> {
  if (!existsSync(join(dir, MANIFEST_FILE))) return false;
  let manifest: ModelManifest;
  try {
    manifest = await readManifest(dir);
  } catch {
    return false; // corrupt or from an older format: build again
  }
  return (
    manifest.sourceHash === sourceHash &&
    manifest.builderVersion === BUILDER_VERSION &&
    (manifest.sourceFormat?.asDownloaded ?? false) === asDownloaded &&
    (asDownloaded || manifest.precision === precision) &&
    manifest.attention === attention &&
    existsSync(join(dir, manifest.graphFile)) &&
    existsSync(join(dir, manifest.dataFile))
  );
}
