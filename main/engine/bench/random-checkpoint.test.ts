import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModelSource } from '../architectures/model-source.ts';
import { float32ToBfloat16Bits } from '../checkpoint/float16.ts';
import { isRandomCheckpointCurrent, writeRandomCheckpoint } from './random-checkpoint.ts';
import { randomWeightSource } from './random-weights.ts';
import { NARROW_LONG_CONTEXT } from './reference-model-shapes.ts';

test('a random checkpoint opens as a model of its spec, with the random weights rounded to BF16, and is written once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-random-checkpoint-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const spec = NARROW_LONG_CONTEXT;
  await writeRandomCheckpoint(spec, dir);
  assert.ok(await isRandomCheckpointCurrent(spec, dir));
  const source = await openModelSource(dir);
  try {
    for (const key of ['vocabSize', 'hiddenSize', 'numLayers', 'tiedEmbeddings'] as const) assert.equal(source.spec[key], spec[key], key);
    assert.deepEqual(source.spec.attention.numKvHeads, spec.attention.numKvHeads);
    assert.equal(source.spec.mlp.intermediateSize, spec.mlp.intermediateSize);
    for (const name of ['embed', 'layers.1.down.weight', 'layers.0.k.bias'] as const) {
      const expected = (await randomWeightSource(spec).weight(name))!;
      const actual = (await source.weight(name))!;
      assert.deepEqual(actual.shape, expected.shape, name);
      assert.deepEqual(new Uint16Array(float32ToBfloat16Bits(actual.data)), float32ToBfloat16Bits(expected.data), name);
    }
  } finally {
    await source.checkpoint.close();
  }
  const written = statSync(join(dir, 'model.safetensors')).mtimeMs;
  await writeRandomCheckpoint(spec, dir);
  assert.equal(statSync(join(dir, 'model.safetensors')).mtimeMs, written, 'a current folder is not written again');
});
