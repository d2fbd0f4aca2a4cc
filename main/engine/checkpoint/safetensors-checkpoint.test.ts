import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCheckpoint } from './safetensors-checkpoint.ts';
import { CheckpointError } from './checkpoint-error.ts';
import { expectShape } from './expect-shape.ts';
import { writeSafetensors } from './safetensors-writer.ts';
import { SafetensorsFile } from './safetensors-file.ts';
import { float32ToBfloat16Bits } from './float16.ts';

const hfTiny = fileURLToPath(new URL('../../../../shared/fixtures/hf-tiny/', import.meta.url));
const shakespeare = fileURLToPath(new URL('../../../../shared/fixtures/shakespeare-5m/', import.meta.url));
const noShared = existsSync(hfTiny) ? false : 'shared/fixtures is absent (a clone without ../shared): fixture tests skipped';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-ckpt-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The header as JSON, parsed here independently of the reader under test. */
async function rawHeader(file: string): Promise<{ json: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>; dataStart: number; bytes: Buffer }> {
  const bytes = await readFile(file);
  const n = Number(bytes.readBigUInt64LE(0));
  return { json: JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')), dataStart: 8 + n, bytes };
}

for (const name of ['llama', 'llama-bf16', 'qwen2', 'mpt', 'gpt2']) {
  test(`reads every tensor of the hf-tiny/${name} fixture`, { skip: noShared }, async () => {
    const dir = join(hfTiny, name);
    const { json, dataStart, bytes } = await rawHeader(join(dir, 'model.safetensors'));
    const checkpoint = await openCheckpoint(dir, { warn: () => assert.fail('fixture weights are finite') });
    try {
      const names = Object.keys(json).filter((k) => k !== '__metadata__');
      assert.deepEqual([...checkpoint.tensors.keys()].sort(), names.sort());
      for (const tensorName of names) {
        const tensor = await checkpoint.readF32(tensorName);
        assert.deepEqual(tensor.shape, json[tensorName].shape, tensorName);
        assert.equal(tensor.data.length, tensor.shape.reduce((a, b) => a * b, 1));
        // Spot-check the first and last element against the raw bytes.
        const begin = dataStart + json[tensorName].data_offsets[0];
        const end = dataStart + json[tensorName].data_offsets[1];
        const decode = (at: number): number =>
          json[tensorName].dtype === 'F32' ? bytes.readFloatLE(at) : new Float32Array(Uint32Array.of(bytes.readUInt16LE(at) << 16).buffer)[0];
        const size = json[tensorName].dtype === 'F32' ? 4 : 2;
        assert.equal(tensor.data[0], decode(begin), `${tensorName}[0]`);
        assert.equal(tensor.data[tensor.data.length - 1], decode(end - size), `${tensorName}[-1]`);
      }
    } finally {
      await checkpoint.close();
    }
  });
}

test('llama-bf16 holds the llama weights rounded to bfloat16', { skip: noShared }, async () => {
  const fp32 = await openCheckpoint(join(hfTiny, 'llama'));
  const bf16 = await SafetensorsFile.open(join(hfTiny, 'llama-bf16', 'model.safetensors'));
  try {
    for (const name of fp32.tensors.keys()) {
      const reference = await fp32.readF32(name);
      const stored = await bf16.readTyped(name);
      assert.equal(stored.dtype, 'BF16');
      assert.deepEqual(stored.data, float32ToBfloat16Bits(reference.data), name);
      const upcast = await bf16.readF32(name);
      for (let i = 0; i < upcast.data.length; i++) {
        assert.ok(Math.abs(upcast.data[i] - reference.data[i]) <= Math.abs(reference.data[i]) * 2 ** -8, `${name}[${i}]`);
      }
    }
  } finally {
    await fp32.close();
    await bf16.close();
  }
});

test('reads the shakespeare-5m checkpoint', { skip: existsSync(shakespeare) ? false : 'shared/fixtures/shakespeare-5m is absent' }, async () => {
  const checkpoint = await openCheckpoint(shakespeare);
  try {
    const embed = await checkpoint.readF32('model.embed_tokens.weight');
    assert.deepEqual(embed.shape, [1024, 256]);
    assert.equal(checkpoint.tensors.size, 1 + 6 * 9 + 1);
  } finally {
    await checkpoint.close();
  }
});

test('reads a sharded checkpoint through model.safetensors.index.json', async (t) => {
  const dir = await tempDir(t);
  const a = Float32Array.from({ length: 6 }, (_, i) => i + 0.5);
  const b = Float32Array.of(-1, 2.5, 1e-3, 7);
  await writeSafetensors(join(dir, 'model-00001-of-00002.safetensors'), { 'layer.a': { dtype: 'F32', shape: [2, 3], data: a } });
  await writeSafetensors(join(dir, 'model-00002-of-00002.safetensors'), { 'layer.b': { dtype: 'F16', shape: [4], data: b } });
  await writeFile(
    join(dir, 'model.safetensors.index.json'),
    JSON.stringify({ metadata: { total_size: 32 }, weight_map: { 'layer.a': 'model-00001-of-00002.safetensors', 'layer.b': 'model-00002-of-00002.safetensors' } }),
  );
  const checkpoint = await openCheckpoint(dir);
  try {
    assert.deepEqual([...checkpoint.tensors.keys()].sort(), ['layer.a', 'layer.b']);
    assert.ok(checkpoint.has('layer.b'));
    assert.equal(checkpoint.tensors.get('layer.b')?.file, join(dir, 'model-00002-of-00002.safetensors'));
    assert.deepEqual(await checkpoint.readF32('layer.a'), { data: a, shape: [2, 3] });
    const readB = await checkpoint.readF32('layer.b');
    assert.deepEqual([...readB.data], [-1, 2.5, 2 ** -10 * (1 + 25 / 1024), 7]);
  } finally {
    await checkpoint.close();
  }
});

test('warns about NaN and infinite weights without throwing', async (t) => {
  const dir = await tempDir(t);
  await writeSafetensors(join(dir, 'model.safetensors'), { w: { dtype: 'F32', shape: [4], data: Float32Array.of(1, NaN, Infinity, 2) } });
  const warnings: string[] = [];
  const checkpoint = await openCheckpoint(dir, { warn: (m) => warnings.push(m) });
  const tensor = await checkpoint.readF32('w');
  await checkpoint.close();
  assert.equal(tensor.data[3], 2);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /"w" has 2 NaN or infinite/);
});

test('expectShape throws a CheckpointError naming both shapes', () => {
  expectShape('w', { shape: [2, 3] }, [2, 3]);
  assert.throws(() => expectShape('q.weight', { shape: [2, 3] }, [3, 2]), (e: unknown) => e instanceof CheckpointError && /"q\.weight".*\[2, 3\].*\[3, 2\]/.test(e.message));
});

/** Writes a file made of an 8-byte length, the given header text and the data bytes. */
async function writeRaw(path: string, header: string | object, dataBytes: number, lengthOverride?: bigint): Promise<void> {
  const headerBytes = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(lengthOverride ?? BigInt(headerBytes.length));
  await writeFile(path, Buffer.concat([prefix, headerBytes, Buffer.alloc(dataBytes)]));
}

async function assertOpenFails(dir: string, pattern: RegExp): Promise<void> {
  await assert.rejects(openCheckpoint(dir), (error: unknown) => {
    assert.ok(error instanceof CheckpointError, `expected a CheckpointError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

test('bad checkpoints fail with a CheckpointError that names the file and the problem', async (t) => {
  const root = await tempDir(t);
  let n = 0;
  const caseDir = async (): Promise<string> => {
    const dir = join(root, `case-${n++}`);
    await mkdir(dir);
    return dir;
  };
  const entry = (dtype: string, shape: number[], begin: number, end: number): object => ({ dtype, shape, data_offsets: [begin, end] });

  await assertOpenFails(join(root, 'missing'), /missing does not exist/);

  let dir = await caseDir();
  await assertOpenFails(dir, /neither model\.safetensors nor model\.safetensors\.index\.json/);
  await writeFile(join(dir, 'pytorch_model.bin'), '');
  await assertOpenFails(dir, /PyTorch \.bin/);

  dir = await caseDir();
  await writeFile(join(dir, 'model.safetensors'), Buffer.alloc(5));
  await assertOpenFails(dir, /model\.safetensors is truncated: 5 bytes/);

  dir = await caseDir();
  await writeRaw(join(dir, 'model.safetensors'), { w: entry('F32', [2], 0, 8) }, 8, 1000n);
  await assertOpenFails(dir, /header claims 1000 bytes/);

  dir = await caseDir();
  await writeRaw(join(dir, 'model.safetensors'), { w: entry('F32', [4], 0, 16) }, 8);
  await assertOpenFails(dir, /is truncated: tensor "w" ends at data byte 16 but the data section has only 8 bytes/);

  dir = await caseDir();
  await writeRaw(join(dir, 'model.safetensors'), '{"w": {"dtype": "F32", ', 0);
  await assertOpenFails(dir, /model\.safetensors has a safetensors header that is not valid JSON/);

  dir = await caseDir();
  await writeRaw(join(dir, 'model.safetensors'), { w: entry('F8_E4M3', [2], 0, 2) }, 2);
  await assertOpenFails(dir, /"w" has dtype "F8_E4M3", which Hearth cannot read/);

  dir = await caseDir();
  await writeRaw(join(dir, 'model.safetensors'), { a: entry('F32', [2], 0, 8), b: entry('F32', [2], 4, 12) }, 12);
  await assertOpenFails(dir, /tensors "a" and "b" overlap/);

  dir = await caseDir();
  await writeRaw(join(dir, 'model.safetensors'), { a: entry('F32', [2], 0, 8), b: entry('F32', [2], 12, 20) }, 20);
  await assertOpenFails(dir, /gap of 4 bytes between tensors "a" and "b"/);

  dir = await caseDir();
  await writeRaw(join(dir, 'model.safetensors'), { a: entry('F32', [3], 0, 8) }, 8);
  await assertOpenFails(dir, /"a" \(F32, shape \[3\]\) needs 12 bytes but its data_offsets span 8/);

  dir = await caseDir();
  await writeRaw(join(dir, 'model.safetensors'), { a: entry('F32', [2], 8, 0) }, 8);
  await assertOpenFails(dir, /data_offsets \[8,0\], not \[begin, end\]/);

  dir = await caseDir();
  await writeRaw(join(dir, 'model.safetensors'), { a: entry('F32', [-2], 0, 8) }, 8);
  await assertOpenFails(dir, /shape \[-2\], not a list of non-negative integers/);

  dir = await caseDir();
  await writeRaw(join(dir, 'model.safetensors'), { a: entry('F32', [2], -8, 0) }, 8);
  await assertOpenFails(dir, /data_offsets \[-8,0\]/);

  dir = await caseDir();
  await writeRaw(join(dir, 'model.safetensors'), { a: entry('F32', [2], 4, 12) }, 12);
  await assertOpenFails(dir, /first tensor, "a", starts at data byte 4/);

  dir = await caseDir();
  await writeFile(join(dir, 'model.safetensors.index.json'), '{"weight_map": ');
  await assertOpenFails(dir, /index\.json is not valid JSON/);

  dir = await caseDir();
  await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { w: 'model-00001-of-00002.safetensors' } }));
  await assertOpenFails(dir, /lists shard model-00001-of-00002\.safetensors \(holding "w" among others\), but .* does not exist/);

  dir = await caseDir();
  await writeSafetensors(join(dir, 'shard.safetensors'), { other: { dtype: 'F32', shape: [1], data: Float32Array.of(1) } });
  await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { w: 'shard.safetensors' } }));
  await assertOpenFails(dir, /says tensor "w" is in shard\.safetensors, but that shard has no such tensor/);

  dir = await caseDir();
  await writeSafetensors(join(dir, 'model.safetensors'), { w: { dtype: 'I64', shape: [1], data: BigInt64Array.of(3n) } });
  const checkpoint = await openCheckpoint(dir);
  await assert.rejects(checkpoint.readF32('absent'), /has no tensor "absent"/);
  await assert.rejects(checkpoint.readF32('w'), /"w" is I64, but a weight must be F32, F16 or BF16/);
  await checkpoint.close();
});
