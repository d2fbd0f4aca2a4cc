import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readManifest } from '../runtime/model-session.ts';
import { benchModelDir, buildBenchModel, isBenchModelCurrent, resolveBenchModelSource, UnknownBenchShapeError, type BenchModelRequest } from './bench-model-cache.ts';
import { NARROW_LONG_CONTEXT } from './benchmark-shapes.ts';

test('a benchmark model is built once into <root>/<shape>-<dtype>-<attention> and then reused', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'hearth-bench-cache-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const request: BenchModelRequest = { source: resolveBenchModelSource('narrow-8k'), precision: 'fp32', attention: 'fused' };
  const dir = benchModelDir(root, request);
  assert.equal(dir, join(root, 'narrow-8k-fp32-fused'));
  assert.equal(await isBenchModelCurrent(dir, request), false);
  await buildBenchModel(dir, request);
  assert.equal(await isBenchModelCurrent(dir, request), true);
  assert.deepEqual((await readManifest(dir)).spec, NARROW_LONG_CONTEXT);
  // Another precision is another build, and a stamp for one request does not vouch for another.
  const int8: BenchModelRequest = { ...request, precision: 'int8' };
  assert.equal(await isBenchModelCurrent(dir, int8), false);
  assert.notEqual(benchModelDir(root, int8), dir);
});

test('an unknown shape names the shapes there are', () => {
  assert.throws(() => resolveBenchModelSource('/no/such/folder'), (error: unknown) => error instanceof UnknownBenchShapeError && /qwen2\.5-0\.5b, narrow-8k/.test(error.message));
});
