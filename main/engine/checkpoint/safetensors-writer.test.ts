import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors } from './safetensors-writer.ts';
import { SafetensorsFile } from './safetensors-file.ts';
import { float32ToFloat16Bits } from './float16.ts';

test('writes every dtype so that the reader gets the same tensors back', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-writer-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'all.safetensors');
  const weights = Float32Array.of(0.1, -2, 3.25, 65504, 1e-6, 0);
  await writeSafetensors(
    path,
    {
      logits: { dtype: 'F32', shape: [2, 3], data: weights },
      half: { dtype: 'F16', shape: [6], data: weights },
      ids: { dtype: 'I64', shape: [1, 3], data: BigInt64Array.of(1n, -5n, 2n ** 40n) },
      mask: { dtype: 'BOOL', shape: [3], data: Uint8Array.of(1, 0, 1) },
      wide: { dtype: 'F64', shape: [1], data: Float64Array.of(Math.PI) },
      small: { dtype: 'I8', shape: [2], data: Int8Array.of(-3, 4) },
    },
    { format: 'pt', note: 'test' },
  );
  const bytes = await readFile(path);
  assert.equal(Number(bytes.readBigUInt64LE(0)) % 8, 0, 'the header is padded so data starts 8-byte aligned');

  const file = await SafetensorsFile.open(path);
  try {
    assert.deepEqual(file.metadata, { format: 'pt', note: 'test' });
    assert.deepEqual(await file.readF32('logits'), { data: weights, shape: [2, 3] });
    const half = await file.readTyped('half');
    assert.deepEqual(half.data, float32ToFloat16Bits(weights));
    const halfAsF32 = await file.readF32('half');
    assert.deepEqual([...halfAsF32.data], [0.0999755859375, -2, 3.25, 65504, 17 * 2 ** -24, 0], 'nearest halves, including a subnormal');
    assert.deepEqual(await file.readTyped('ids'), { dtype: 'I64', shape: [1, 3], data: BigInt64Array.of(1n, -5n, 2n ** 40n) });
    assert.deepEqual((await file.readTyped('mask')).data, Uint8Array.of(1, 0, 1));
    assert.deepEqual((await file.readTyped('wide')).data, Float64Array.of(Math.PI));
    assert.deepEqual((await file.readTyped('small')).data, Int8Array.of(-3, 4));
    for (const info of file.tensors.values()) {
      const size = { F64: 8, I64: 8, F32: 4, F16: 2, I8: 1, BOOL: 1 }[info.dtype as string] ?? 1;
      assert.equal(info.offset % size, 0, `${info.name} is aligned to its element size`);
    }
  } finally {
    await file.close();
  }
});

test('refuses data that does not match the dtype or shape', async () => {
  await assert.rejects(writeSafetensors('/nonexistent/x', { a: { dtype: 'F32', shape: [3], data: Float32Array.of(1, 2) } }), /shape \[3\] \(3 elements\) but 2 values/);
  await assert.rejects(writeSafetensors('/nonexistent/x', { a: { dtype: 'I64', shape: [1], data: Int32Array.of(1) } }), /is I64 but its data is a Int32Array/);
});
