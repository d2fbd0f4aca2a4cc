import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readManifest } from '../runtime/model-session.ts';
import { benchModelDir, buildBenchModel, isBenchModelCurrent, resolveBenchModelSource, UnknownBenchShapeError, type BenchModelRequest } from './bench-model-cache.ts';
import { NARROW_LONG_CONTEXT } from './reference-model-shapes.ts';

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

test('the int8 kernel and the int4 prefill graph are part of the folder name and of the stamp', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'hearth-bench-cache-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const source = resolveBenchModelSource('narrow-8k');
  const int4: BenchModelRequest = { source, precision: 'int4', attention: 'fused' };
  const int4Prefill: BenchModelRequest = { ...int4, prefillGraph: true };
  assert.equal(benchModelDir(root, int4Prefill), join(root, 'narrow-8k-int4-int8prefill-fused'));
  assert.equal(benchModelDir(root, { source, precision: 'int8', attention: 'fused', int8Kernel: 'blockwise' }), join(root, 'narrow-8k-int8-blockwise-fused'));
  // dynamic is the builder's default: the same build whether named or not.
  assert.equal(benchModelDir(root, { source, precision: 'int8', attention: 'fused', int8Kernel: 'dynamic' }), join(root, 'narrow-8k-int8-fused'));
  // Options that mean nothing at a precision change nothing.
  assert.equal(benchModelDir(root, { ...int4, int8Kernel: 'blockwise' }), benchModelDir(root, int4));

  const dir = benchModelDir(root, int4Prefill);
  const manifest = await buildBenchModel(dir, int4Prefill);
  assert.equal(manifest.prefillGraphFile, 'prefill.onnx');
  assert.equal(await isBenchModelCurrent(dir, int4Prefill), true);
  assert.equal(await isBenchModelCurrent(dir, int4), false, 'a build with the prefill graph does not stand for one without');
});

test('an unknown shape names the shapes there are', () => {
  assert.throws(() => resolveBenchModelSource('/no/such/folder'), (error: unknown) => error instanceof UnknownBenchShapeError && /qwen2\.5-0\.5b, narrow-8k/.test(error.message));
});

const GGUF_FIXTURE = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'gguf', 'shakespeare-5m-q4_k_m.gguf');

test('a GGUF file is benchmarked as downloaded (its own types), or requantized when a precision is asked for', { skip: existsSync(GGUF_FIXTURE) ? false : `${GGUF_FIXTURE} is absent` }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'hearth-bench-cache-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const source = resolveBenchModelSource(GGUF_FIXTURE);
  assert.deepEqual(source, { kind: 'gguf', file: GGUF_FIXTURE });
  const asDownloaded: BenchModelRequest = { source, precision: 'fp32', attention: 'fused', asDownloaded: true };
  const requantized: BenchModelRequest = { source, precision: 'int4', attention: 'fused' };
  const dir = benchModelDir(root, asDownloaded);
  assert.match(dir, /gguf-shakespeare-5m-q4_k_m\.gguf-[0-9a-f]{8}-as-downloaded-fused$/);
  assert.notEqual(benchModelDir(root, requantized), dir);
  await buildBenchModel(dir, asDownloaded);
  assert.equal(await isBenchModelCurrent(dir, asDownloaded), true);
  assert.equal(await isBenchModelCurrent(dir, requantized), false);
  const manifest = await readManifest(dir);
  assert.equal(manifest.sourceFormat?.fileType, 'Q4_K_M');
  assert.equal(manifest.sourceFormat?.asDownloaded, true);
});
