// The manifest's sourceHash: sha256 over the spec, config.json (a GGUF file's header: its metadata
// and tensor infos) and the tensor table (names, dtypes, shapes, sizes), so a changed source is
// noticed without reading the weights.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelSpec } from '../../common/model-spec.ts';
import type { Checkpoint } from '../checkpoint/checkpoint.ts';
import { readGgufHeaderBytes } from '../gguf/gguf-file.ts';
import { isGgufPath } from '../gguf/gguf-model-source.ts';

export async function hashModelSource(spec: ModelSpec, sourceDir: string | undefined, checkpoint: Pick<Checkpoint, 'tensors'> | undefined): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(spec));
  if (sourceDir) hash.update(isGgufPath(sourceDir) ? await readGgufHeaderBytes(sourceDir) : await readFile(join(sourceDir, 'config.json')));
  for (const [name, info] of [...(checkpoint?.tensors ?? [])].sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(`${name}:${info.dtype}:${info.shape.join('x')}:${info.byteLength};`);
  }
  return hash.digest('hex');
}
