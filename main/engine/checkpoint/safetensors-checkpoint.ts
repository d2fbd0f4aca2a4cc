// Opens a Hugging Face checkpoint folder: a single model.safetensors, or shards listed by
// model.safetensors.index.json (its weight_map says which shard holds each tensor). Headers are
// read and checked up front; tensor data is read on demand, one tensor at a time.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { F32Tensor } from '../../common/model-spec.ts';
import type { Checkpoint, TensorInfo } from './checkpoint.ts';
import { CheckpointError } from './checkpoint-error.ts';
import { SafetensorsFile, type WarnFn } from './safetensors-file.ts';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

export interface OpenCheckpointOptions {
  /** Receives warnings about NaN or infinite weights (default console.warn). */
  warn?: WarnFn;
}

export async function openCheckpoint(dir: string, options: OpenCheckpointOptions = {}): Promise<Checkpoint> {
  const warn = options.warn ?? console.warn;
  const entries = await listFolder(dir);
  // Like transformers, a single model.safetensors wins over an index.
  if (entries.includes(SINGLE_FILE)) {
    const file = await SafetensorsFile.open(join(dir, SINGLE_FILE));
    return new SafetensorsCheckpoint(dir, [file], warn);
  }
  if (entries.includes(INDEX_FILE)) return openSharded(dir, warn);
  const hint = entries.some((e) => e.endsWith('.bin') || e.endsWith('.pt') || e.endsWith('.pth'))
    ? ' It holds PyTorch .bin/.pt weights, which Hearth does not load (they can run code): convert them to safetensors, e.g. with save_pretrained(..., safe_serialization=True).'
    : entries.some((e) => e.endsWith('.gguf'))
      ? ' It holds a GGUF file, which Hearth does not load: use the original Hugging Face safetensors model.'
      : ' Download the complete model folder (config.json and its .safetensors files).';
  throw new CheckpointError(dir, `${dir} has neither ${SINGLE_FILE} nor ${INDEX_FILE}.${hint}`);
}

async function listFolder(dir: string): Promise<string[]> {
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) throw new CheckpointError(dir, `${dir} is a file, not a model folder. Pass the folder that holds config.json and the .safetensors files.`);
    return await readdir(dir);
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (error as Error).message})`;
    throw new CheckpointError(dir, `Model folder ${dir} ${problem}. Check the path.`, { cause: error });
  }
}

async function openSharded(dir: string, warn: WarnFn): Promise<Checkpoint> {
  const indexPath = join(dir, INDEX_FILE);
  const weightMap = parseIndex(indexPath, await readFile(indexPath, 'utf8'));
  const shardNames = [...new Set(Object.values(weightMap))];
  const files: SafetensorsFile[] = [];
  try {
    for (const shard of shardNames) {
      const path = join(dir, shard);
      try {
        await stat(path);
      } catch (error) {
        const example = Object.keys(weightMap).find((name) => weightMap[name] === shard);
        throw new CheckpointError(
          indexPath,
          `${indexPath} lists shard ${shard} (holding "${example}" among others), but ${path} does not exist. The download is incomplete: download the missing shard.`,
          { cause: error },
        );
      }
      files.push(await SafetensorsFile.open(path));
    }
    for (const [name, shard] of Object.entries(weightMap)) {
      const file = files[shardNames.indexOf(shard)];
      if (!file.tensors.has(name)) {
        throw new CheckpointError(
          indexPath,
          `${indexPath} says tensor "${name}" is in ${shard}, but that shard has no such tensor. The index and shards come from different downloads: download the model again.`,
        );
      }
    }
    return new SafetensorsCheckpoint(dir, files, warn);
  } catch (error) {
    await Promise.all(files.map((f) => f.close()));
    throw error;
  }
}

function parseIndex(indexPath: string, text: string): Record<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(indexPath, `${indexPath} is not valid JSON (${(error as Error).message}). Download it again.`, { cause: error });
  }
  const weightMap = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new CheckpointError(indexPath, `${indexPath} has no "weight_map" object mapping tensor names to shard files. Download it again.`);
  }
  for (const [name, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\') || shard.startsWith('.')) {
      throw new CheckpointError(indexPath, `${indexPath} maps "${name}" to ${JSON.stringify(shard)}, which is not a shard file name in this folder.`);
    }
  }
  return weightMap as Record<string, string>;
}

class SafetensorsCheckpoint implements Checkpoint {
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  private readonly fileOf = new Map<string, SafetensorsFile>();

  constructor(
    readonly dir: string,
    private readonly files: SafetensorsFile[],
    private readonly warn: WarnFn,
  ) {
    const tensors = new Map<string, TensorInfo>();
    for (const file of files) {
      for (const [name, info] of file.tensors) {
        const other = this.fileOf.get(name);
        if (other) {
          throw new CheckpointError(dir, `Tensor "${name}" is in both ${other.path} and ${file.path}. The folder mixes two checkpoints: keep only one model's files.`);
        }
        tensors.set(name, info);
        this.fileOf.set(name, file);
      }
    }
    this.tensors = tensors;
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  async readF32(name: string): Promise<F32Tensor> {
    const file = this.fileOf.get(name);
    if (!file) {
      throw new CheckpointError(
        this.dir,
        `The checkpoint in ${this.dir} has no tensor "${name}" (it has ${this.tensors.size} tensors). config.json does not match the weights, or the download is incomplete.`,
      );
    }
    return file.readF32(name, this.warn);
  }

  async close(): Promise<void> {
    await Promise.all(this.files.map((f) => f.close()));
  }
}
