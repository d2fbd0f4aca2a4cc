// The manifest's sourceHash: sha256 over the spec, config.json and the tensor table (names,
// dtypes, shapes, sizes), so a changed source is noticed without reading the weights.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelSpec } from '../../common/model-spec.ts';
import type { Checkpoint } from '../checkpoint/checkpoint.ts';

export async function hashModelSource(spec: ModelSpec, sourceDir: string | undefined, checkpoint: Pick<Checkpoint, 'tensors'> | undefined): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(spec));
  if (sourceDir) hash.update(await readFile(join(sourceDir, 'config.json')));
  for (const [name, info] of [...(checkpoint?.tensors ?? [])].sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(`${name}:${info.dtype}:${info.shape.join('x')}:${info.byteLength};`);
  }
  return hash.digest('hex');
}
