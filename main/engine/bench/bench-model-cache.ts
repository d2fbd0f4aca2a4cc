// Built models for the benchmark, cached on disk: a random-weight model at a named shape (or a
// Hugging Face folder) built once per configuration (precision, int8 kernel, int4's optional
// int8 prefill graph, attention mode), and rebuilt only when
// something that shapes the graph changed. A stale build would silently measure old code, so
// the cache key covers the builder's own source files, not just BUILDER_VERSION.
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MANIFEST_FILE, type AttentionMode, type Int8Kernel, type ModelManifest, type Precision } from '../../common/model-manifest.ts';
import type { ModelSpec } from '../../common/model-spec.ts';
import { openModelSource } from '../architectures/model-source.ts';
import { buildFromSource, buildModel } from '../builder/build-model.ts';
import { readGgufHeaderBytes } from '../gguf/gguf-file.ts';
import { isGgufPath } from '../gguf/gguf-model-source.ts';
import { BENCHMARK_SHAPES } from './reference-model-shapes.ts';
import { randomWeightSource } from './random-weights.ts';

/** Where the weights come from: a named shape with random weights, a checkpoint folder, or a GGUF file. */
export type BenchModelSource = { kind: 'shape'; name: string; spec: ModelSpec } | { kind: 'hf-dir'; dir: string } | { kind: 'gguf'; file: string };

export interface BenchModelRequest {
  source: BenchModelSource;
  precision: Precision;
  attention: AttentionMode;
  /** int8 only: the builder's int8 kernel; 'dynamic' (the builder's default) when absent. */
  int8Kernel?: Int8Kernel;
  /** int4 only: also build the int8 prefill graph (BuildOptions.prefillGraph). */
  prefillGraph?: boolean;
  /** GGUF files only: build the file's own types (BuildOptions.asDownloaded); `precision` is then ignored. */
  asDownloaded?: boolean;
}

/** The build options a request really sets: the int8 kernel of an int8 build, the prefill graph of an int4 one. */
export function benchBuildVariant(request: BenchModelRequest): { int8Kernel: Int8Kernel | null; prefillGraph: boolean } {
  return {
    int8Kernel: request.precision === 'int8' ? (request.int8Kernel ?? 'dynamic') : null,
    prefillGraph: request.precision === 'int4' && request.prefillGraph === true,
  };
}

/** The precision as reports and folder names show it: int8 (dynamic), int8-blockwise, int4, int4-int8prefill. */
export function benchPrecisionLabel(request: BenchModelRequest): string {
  const { int8Kernel, prefillGraph } = benchBuildVariant(request);
  if (request.asDownloaded) return 'as-downloaded';
  if (int8Kernel === 'blockwise') return 'int8-blockwise';
  if (prefillGraph) return 'int4-int8prefill';
  return request.precision;
}

/** Written beside hearth.json after a build; a build without it (or with another key) is rebuilt. */
const STAMP_FILE = 'bench-stamp.json';

/** Engine sources whose changes change the built graph or its weights (relative to main/engine/). */
const GRAPH_SOURCE_DIRS = ['builder', 'onnx', 'quant'];
const GRAPH_SOURCE_FILES = ['graph-io.ts', 'bench/random-weights.ts', '../common/model-manifest.ts'];
/** What reads a checkpoint folder: only a folder source depends on it. */
const CHECKPOINT_SOURCE_DIRS = ['architectures', 'checkpoint'];

export class UnknownBenchShapeError extends Error {
  override name = 'UnknownBenchShapeError';
}

/** A shape name from BENCHMARK_SHAPES, or else an existing folder holding config.json, or a GGUF file. */
export function resolveBenchModelSource(shapeOrDir: string): BenchModelSource {
  const spec = BENCHMARK_SHAPES[shapeOrDir];
  if (spec) return { kind: 'shape', name: shapeOrDir, spec };
  const dir = resolve(shapeOrDir);
  if (existsSync(join(dir, 'config.json'))) return { kind: 'hf-dir', dir };
  if (existsSync(dir) && statSync(dir).isFile() && isGgufPath(dir)) return { kind: 'gguf', file: dir };
  throw new UnknownBenchShapeError(
    `'${shapeOrDir}' is neither a benchmark shape (${Object.keys(BENCHMARK_SHAPES).join(', ')}) nor a Hugging Face model folder with a config.json nor a GGUF file.`,
  );
}

/** A short name for reports: the shape name or the folder's name. */
export function benchModelLabel(source: BenchModelSource): string {
  return source.kind === 'shape' ? source.name : basename(source.kind === 'gguf' ? source.file : source.dir);
}

/**
 * `<cacheRoot>/<shape>-<precision label>-<attention>` (see benchPrecisionLabel); a folder source
 * adds a hash of its path so two folders named alike do not collide.
 */
export function benchModelDir(cacheRoot: string, request: BenchModelRequest): string {
  const { source, attention } = request;
  const path = source.kind === 'shape' ? null : source.kind === 'gguf' ? source.file : source.dir;
  const name =
    path === null
      ? (source as { name: string }).name
      : `${source.kind === 'gguf' ? 'gguf' : 'hf'}-${basename(path).replace(/[^A-Za-z0-9._-]/g, '_')}-${createHash('sha256').update(path).digest('hex').slice(0, 8)}`;
  return join(cacheRoot, `${name}-${benchPrecisionLabel(request)}-${attention}`);
}

/** Whether `dir` holds a finished build of exactly this request with the current builder. */
export async function isBenchModelCurrent(dir: string, request: BenchModelRequest): Promise<boolean> {
  if (!existsSync(join(dir, MANIFEST_FILE))) return false;
  try {
    const stamp = JSON.parse(await readFile(join(dir, STAMP_FILE), 'utf8')) as { key?: unknown };
    return stamp.key === (await stampKey(request));
  } catch {
    return false;
  }
}

/** Builds the request into `dir` (emptied first) and stamps it. */
export async function buildBenchModel(
  dir: string,
  request: BenchModelRequest,
  onProgress?: (done: number, total: number, label: string) => void,
): Promise<ModelManifest> {
  await rm(dir, { recursive: true, force: true });
  const { int8Kernel, prefillGraph } = benchBuildVariant(request);
  const options = { precision: request.precision, attention: request.attention, int8Kernel: int8Kernel ?? undefined, prefillGraph, onProgress };
  let manifest: ModelManifest;
  if (request.source.kind === 'shape') {
    manifest = await buildFromSource(randomWeightSource(request.source.spec), dir, options);
  } else if (request.source.kind === 'gguf') {
    manifest = await buildModel(request.source.file, dir, { ...options, asDownloaded: request.asDownloaded === true });
  } else {
    const source = await openModelSource(request.source.dir);
    try {
      manifest = await buildFromSource(source, dir, { ...options, sourceDir: request.source.dir });
    } finally {
      await source.checkpoint.close();
    }
  }
  await writeFile(join(dir, STAMP_FILE), JSON.stringify({ key: await stampKey(request) }) + '\n');
  return manifest;
}

async function stampKey(request: BenchModelRequest): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ precision: request.precision, attention: request.attention, asDownloaded: request.asDownloaded === true, ...benchBuildVariant(request) }));
  if (request.source.kind === 'shape') hash.update(JSON.stringify(request.source.spec));
  else if (request.source.kind === 'gguf') {
    hash.update(request.source.file);
    hash.update(await readGgufHeaderBytes(request.source.file));
  } else {
    hash.update(request.source.dir);
    // A changed checkpoint shows in its config and in its file list and sizes.
    hash.update(await readFile(join(request.source.dir, 'config.json')));
    for (const entry of (await readdir(request.source.dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isFile()) hash.update(entry.name);
    }
  }
  hash.update(await sourcesHash(GRAPH_SOURCE_DIRS, GRAPH_SOURCE_FILES));
  if (request.source.kind === 'hf-dir') hash.update(await sourcesHash(CHECKPOINT_SOURCE_DIRS, []));
  if (request.source.kind === 'gguf') hash.update(await sourcesHash([...CHECKPOINT_SOURCE_DIRS, 'gguf'], []));
  return hash.digest('hex');
}

/** sha256 over engine source files and folders (their tests left out), paths relative to main/engine/. */
async function sourcesHash(dirs: readonly string[], singleFiles: readonly string[]): Promise<string> {
  const engineDir = fileURLToPath(new URL('../', import.meta.url));
  const files = singleFiles.map((file) => join(engineDir, file));
  for (const dir of dirs) {
    const entries = await readdir(join(engineDir, dir)).catch(() => [] as string[]);
    for (const entry of entries.sort()) {
      if (entry.endsWith('.ts') && !entry.endsWith('.test.ts')) files.push(join(engineDir, dir, entry));
    }
  }
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(file.slice(engineDir.length));
    hash.update(await readFile(file).catch(() => Buffer.alloc(0)));
  }
  return hash.digest('hex');
}
