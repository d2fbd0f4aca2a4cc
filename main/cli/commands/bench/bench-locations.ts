// Where `hearth bench` finds its pieces: the repository, the `hearth` command it re-runs to build
// in a child process, the demo model it fine-tunes and the cache of built benchmark models.
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const HEARTH_BIN = fileURLToPath(new URL('../../../../bin/hearth.mjs', import.meta.url));
/** The bundled demo model, which `hearth bench --train` fine-tunes. */
export const TRAIN_BENCH_MODEL_DIR = fileURLToPath(new URL('../../../../resources/models/shakespeare-5m/', import.meta.url));

/** The built models live here unless HEARTH_BENCH_CACHE names another folder. */
export function benchCacheRoot(): string {
  return process.env.HEARTH_BENCH_CACHE || fileURLToPath(new URL('../../../../.cache/bench/', import.meta.url));
}

/** Inside the repository, relative to it (as .cache/bench/... is documented); elsewhere as given. */
export function displayPath(dir: string): string {
  const inside = relative(REPO_ROOT, dir);
  return inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : dir;
}
