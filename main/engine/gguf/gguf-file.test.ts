import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GGML_TYPES } from './ggml-type.ts';
import { GgufError, GgufValueType, openGgufFile, readGgufHeader } from './gguf-file.ts';
import { ggufFileBytes, meta, type GgufToWrite } from './test/gguf-writer.ts';

const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/gguf/', import.meta.url));

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hearth-gguf-file-'));
});
after(() => rm(dir, { recursive: true, force: true }));

let counter = 0;
async function write(bytes: Uint8Array, name = `file-${counter++}.gguf`): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

function bytesOf(values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

const F32_DATA = new Uint8Array(new Float32Array([1.5, -2, 3.25, 0, 7, 8]).buffer);
const Q8_DATA = bytesOf(Array.from({ length: 2 * 34 }, (_, i) => (i * 37) & 0xff));

function sample(overrides: Partial<GgufToWrite> = {}): GgufToWrite {
  return {
    metadata: {
      'general.architecture': meta.str('llama'),
      'test.u8': meta.u8(200),
      'test.i8': meta.i8(-5),
      'test.u16': meta.u16(60000),
      'test.i16': meta.i16(-30000),
      'test.u32': meta.u32(4_000_000_000),
      'test.i32': meta.i32(-2_000_000_000),
      'test.f32': meta.f32(0.25),
      'test.bool': meta.bool(true),
      'test.u64': meta.u64(12345678901n),
      'test.u64.big': meta.u64(2n ** 60n),
      'test.i64': meta.i64(-9n),
      'test.f64': meta.f64(Math.PI),
      'test.unicode': meta.str('Ġhello — 日本'),
      'test.strings': meta.array(GgufValueType.STRING, ['<s>', '', 'Ġt']),
      'test.floats': meta.array(GgufValueType.FLOAT32, [0.5, -1, 2]),
      'test.empty': meta.array(GgufValueType.INT32, []),
    },
    tensors: [
      { name: 'a.weight', dims: [3, 2], type: 0, data: F32_DATA },
      { name: 'b.weight', dims: [32, 2], type: 8, data: Q8_DATA },
    ],
    ...overrides,
  };
}

/** The error a read of `path` throws; fails when it reads. */
function readError(path: string): GgufError {
  try {
    readGgufHeader(path);
  } catch (error) {
    assert.ok(error instanceof GgufError, `expected a GgufError, got ${String(error)}`);
    assert.ok(error.message.startsWith(`${path}: `), `the message names the file: ${error.message}`);
    assert.equal(error.path, path);
    return error;
  }
  assert.fail(`reading ${path} should have failed`);
}

describe('the GGUF reader', () => {
  it('reads every metadata type, the tensor infos and the data of a v3 file', async () => {
    const path = await write(ggufFileBytes(sample()));
    const file = await openGgufFile(path);
    try {
      assert.equal(file.version, 3);
      assert.equal(file.alignment, 32);
      assert.equal(file.dataOffset % 32, 0);
      const m = file.metadata;
      assert.equal(m.get('general.architecture'), 'llama');
      assert.deepEqual(
        ['test.u8', 'test.i8', 'test.u16', 'test.i16', 'test.u32', 'test.i32', 'test.f32', 'test.bool', 'test.u64', 'test.i64', 'test.f64'].map((k) => m.get(k)),
        [200, -5, 60000, -30000, 4_000_000_000, -2_000_000_000, 0.25, true, 12345678901, -9, Math.PI],
      );
      assert.equal(m.get('test.u64.big'), 2n ** 60n, 'a u64 beyond 2^53 stays exact as a bigint');
      assert.equal(m.get('test.unicode'), 'Ġhello — 日本');
      assert.deepEqual(m.get('test.strings'), ['<s>', '', 'Ġt']);
      assert.deepEqual(m.get('test.floats'), [0.5, -1, 2]);
      assert.deepEqual(m.get('test.empty'), []);

      assert.deepEqual([...file.tensors.keys()], ['a.weight', 'b.weight']);
      const a = file.tensors.get('a.weight')!;
      const b = file.tensors.get('b.weight')!;
      assert.deepEqual({ dims: a.dims, type: a.type, values: a.values, byteLength: a.byteLength, offset: a.offset }, { dims: [3, 2], type: 0, values: 6, byteLength: 24, offset: file.dataOffset });
      assert.deepEqual({ dims: b.dims, type: b.type, values: b.values, byteLength: b.byteLength, offset: b.offset }, { dims: [32, 2], type: 8, values: 64, byteLength: 68, offset: file.dataOffset + 32 });
      assert.deepEqual(await file.readTensorBytes('a.weight'), F32_DATA);
      assert.deepEqual(await file.readTensorBytes('b.weight'), Q8_DATA);
      await assert.rejects(file.readTensorBytes('c.weight'), /has no tensor "c\.weight"/);
    } finally {
      await file.close();
    }
  });

  it('reads a header of several megabytes, whose values straddle the chunks it is read in', async () => {
    // Odd-sized strings and 8-byte numbers, so values cross each 1 MiB chunk boundary at every offset.
    const tokens = Array.from({ length: 150_000 }, (_, i) => `Ġtok${i}${'é'.repeat(i % 5)}`);
    const ids = Array.from({ length: 150_000 }, (_, i) => BigInt(i) * 0x1_0000_0001n);
    const scores = Array.from({ length: 150_000 }, (_, i) => -i / 7);
    const path = await write(
      ggufFileBytes(
        sample({
          metadata: {
            'tokenizer.ggml.tokens': meta.array(GgufValueType.STRING, tokens),
            'test.ids': meta.array(GgufValueType.UINT64, ids),
            'test.scores': meta.array(GgufValueType.FLOAT64, scores),
            'test.after': meta.str('the end'),
          },
        }),
      ),
    );
    const header = readGgufHeader(path);
    assert.ok(header.dataOffset > 4 << 20, `a ${header.dataOffset}-byte header`);
    assert.deepEqual(header.metadata.get('tokenizer.ggml.tokens'), tokens);
    assert.deepEqual(header.metadata.get('test.ids'), ids.map((v) => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v)));
    assert.deepEqual(header.metadata.get('test.scores'), scores);
    assert.equal(header.metadata.get('test.after'), 'the end');
    assert.deepEqual([...header.tensors.keys()], ['a.weight', 'b.weight']);
  });

  it('reads version 2, and a general.alignment other than 32', async () => {
    const header = readGgufHeader(await write(ggufFileBytes(sample({ version: 2, alignment: 64 }))));
    assert.equal(header.version, 2);
    assert.equal(header.alignment, 64);
    assert.equal(header.dataOffset % 64, 0);
    assert.equal(header.tensors.get('b.weight')!.offset, header.dataOffset + 64);
  });

  it('refuses a wrong magic, naming what the file starts with', async () => {
    const bytes = ggufFileBytes(sample());
    bytes.write('GGML', 0, 'latin1');
    assert.match(readError(await write(bytes)).message, /is not a GGUF file: it starts with "GGML", not "GGUF"/);
    assert.match(readError(await write(Buffer.from('{"__metadata__": {}}'))).message, /is not a GGUF file: it starts with "\{"__"/);
  });

  it('refuses versions other than 2 and 3, and big-endian files', async () => {
    for (const version of [1, 4]) {
      assert.match(readError(await write(ggufFileBytes(sample({ version })))).message, new RegExp(`is GGUF version ${version}; Hearth reads versions 2 and 3`));
    }
    assert.match(readError(await write(ggufFileBytes(sample({ version: 0x03000000 })))).message, /is a big-endian GGUF file \(version 3\)/);
  });

  it('refuses a file cut anywhere in its header or its data', async () => {
    const bytes = ggufFileBytes(sample());
    const { dataOffset } = readGgufHeader(await write(bytes));
    for (let cut = 0; cut < dataOffset; cut += 7) {
      const error = readError(await write(bytes.subarray(0, cut)));
      assert.match(error.message, cut < 4 ? /too short to be a GGUF file/ : /truncated|cannot hold/, `cut at ${cut}: ${error.message}`);
    }
    // The header is whole but the last tensor's data is not.
    const error = readError(await write(bytes.subarray(0, dataOffset + 32 + 67)));
    assert.match(error.message, /tensor "b\.weight" \(Q8_0, 68 bytes at byte \d+\) runs past the end of the file \(\d+ bytes\)\. The file is truncated/);
  });

  it('refuses an unknown tensor type, naming its number and the tensor', async () => {
    const file = sample();
    file.tensors[1] = { ...file.tensors[1]!, type: 99 };
    const error = readError(await write(ggufFileBytes(file)));
    assert.match(error.message, /tensor "b\.weight" has ggml type 99, which Hearth cannot read \(it reads F32 \(0\), F16 \(1\)/);
  });

  it('refuses absurd counts and lengths before allocating for them', async () => {
    const head = (tensorCount: bigint, kvCount: bigint, rest: Buffer = Buffer.alloc(0)) => {
      const b = Buffer.alloc(24);
      b.write('GGUF', 0, 'latin1');
      b.writeUInt32LE(3, 4);
      b.writeBigUInt64LE(tensorCount, 8);
      b.writeBigUInt64LE(kvCount, 16);
      return Buffer.concat([b, rest]);
    };
    assert.match(readError(await write(head(2n ** 60n, 0n))).message, /its tensor count is 1152921504606846976, more than the 8 bytes left/);
    assert.match(readError(await write(head(0n, 2n ** 40n, Buffer.alloc(64)))).message, /its metadata count is 1099511627776, more than the 64 bytes left/);
    const hugeKey = Buffer.alloc(8);
    hugeKey.writeBigUInt64LE(2n ** 62n);
    assert.match(readError(await write(head(0n, 1n, Buffer.concat([hugeKey, Buffer.alloc(16)])))).message, /metadata key 0's length is 4611686018427387904, more than the 16 bytes left/);
    // An array claiming 2^40 u32 elements.
    const key = Buffer.from('k', 'latin1');
    const array = Buffer.alloc(8 + 1 + 4 + 4 + 8);
    array.writeBigUInt64LE(1n, 0);
    key.copy(array, 8);
    array.writeUInt32LE(GgufValueType.ARRAY, 9);
    array.writeUInt32LE(GgufValueType.UINT32, 13);
    array.writeBigUInt64LE(2n ** 40n, 17);
    assert.match(readError(await write(head(0n, 1n, array))).message, /its "k" array length is 1099511627776, more than the 0 bytes left/);
  });

  it('refuses tensors with too many dimensions, a misaligned offset, or a name twice', async () => {
    const fiveDims = sample({ tensors: [{ name: 'x', dims: [1, 1, 1, 1, 1], type: 0, data: new Uint8Array(4) }] });
    assert.match(readError(await write(ggufFileBytes(fiveDims))).message, /tensor "x" has 5 dimensions; ggml tensors have 1 to 4/);
    const twice = sample();
    twice.tensors[1] = { ...twice.tensors[0]! };
    assert.match(readError(await write(ggufFileBytes(twice))).message, /has two tensors named "a\.weight"/);
    // Rewrite b.weight's offset (the last 8 bytes of the tensor infos) from 32 to 36.
    const bytes = ggufFileBytes(sample());
    const at = bytes.indexOf(Buffer.from('b.weight', 'latin1')) + 8 + 4 + 8 + 8 + 4;
    assert.equal(bytes.readBigUInt64LE(at), 32n);
    bytes.writeBigUInt64LE(36n, at);
    assert.match(readError(await write(bytes)).message, /tensor "b\.weight" starts at data offset 36, which is not a multiple of the alignment 32/);
  });

  it('refuses a general.alignment that is not a power of two', async () => {
    const file = sample();
    file.metadata['general.alignment'] = meta.u32(48);
    assert.match(readError(await write(ggufFileBytes(file))).message, /general\.alignment is 48; it must be a power of two/);
  });

  it('refuses a row that is not whole blocks', async () => {
    const file = sample({ tensors: [{ name: 'q', dims: [16, 2], type: 8, data: new Uint8Array(34) }] });
    assert.match(readError(await write(ggufFileBytes(file))).message, /tensor "q" \(Q8_0\) has rows of 16 values, not whole blocks of 32/);
  });
});

describe('the GGUF files llama.cpp wrote of the demo model', () => {
  const files = ['f32', 'q8_0', 'q4_0', 'q4_k_m', 'q6_k'].map((t) => [t, join(FIXTURES, `shakespeare-5m-${t}.gguf`)] as const);
  const expectedTypes: Record<string, string[]> = {
    f32: ['F32'],
    q8_0: ['F32', 'Q8_0'],
    q4_0: ['F32', 'Q4_0', 'Q6_K'],
    q4_k_m: ['F32', 'Q4_K', 'Q5_0', 'Q6_K', 'Q8_0'],
    q6_k: ['F32', 'Q6_K', 'Q8_0'],
  };
  for (const [type, path] of files) {
    it(`reads ${type}: llama metadata, 56 tensors of the expected ggml types, all inside the file`, { skip: existsSync(path) ? false : `${path} is absent` }, () => {
      const header = readGgufHeader(path);
      assert.equal(header.version, 3);
      assert.equal(header.metadata.get('general.architecture'), 'llama');
      assert.equal(header.metadata.get('llama.block_count'), 6);
      assert.equal((header.metadata.get('tokenizer.ggml.tokens') as string[]).length, 1024);
      assert.equal(header.tensors.size, 2 + 6 * 9);
      const types = [...new Set([...header.tensors.values()].map((t) => GGML_TYPES[t.type].name))].sort();
      assert.deepEqual(types, expectedTypes[type]);
      const last = [...header.tensors.values()].reduce((a, b) => (a.offset > b.offset ? a : b));
      assert.ok(last.offset + last.byteLength <= header.fileBytes);
      assert.deepEqual(header.tensors.get('token_embd.weight')!.dims, [256, 1024]);
    });
  }
});
