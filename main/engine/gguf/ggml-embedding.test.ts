import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { DataType } from '../onnx/graph.ts';
import { GraphBuilder } from '../onnx/graph-builder.ts';
import { dequantizeGgml } from './ggml-dequantize.ts';
import { emitGgmlEmbedding } from './ggml-embedding.ts';
import { ggmlToMatMulNBits, GgmlMatMulNBitsError } from './ggml-matmul-nbits.ts';
import { GGML_TYPES } from './ggml-type.ts';
import type { GgmlType } from './ggml-type.ts';
import { openGgufFile } from './gguf-file.ts';

const FIXTURES = join(import.meta.dirname, '../../../../shared/fixtures/gguf');

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Random blocks with every half field set to a finite value in 2^-10 .. 2^1 (sign as the format allows). */
function syntheticTable(type: GgmlType, vocab: number, hidden: number, seed: number): Uint8Array {
  const { blockValues, blockBytes } = GGML_TYPES[type];
  const halves: Record<number, number[]> = { 2: [0], 3: [0, 2], 6: [0], 7: [0, 2], 8: [0], 12: [0, 2], 13: [0, 2], 14: [208] };
  const next = random(seed);
  const bytes = Uint8Array.from({ length: ((vocab * hidden) / blockValues) * blockBytes }, () => Math.floor(next() * 256));
  for (let o = 0; o < bytes.length; o += blockBytes) {
    for (const offset of halves[type]) {
      const h = ((5 + Math.floor(next() * 12)) << 10) | Math.floor(next() * 1024) | (type === 12 || type === 13 ? 0 : next() < 0.5 ? 0x8000 : 0);
      bytes[o + offset] = h & 0xff;
      bytes[o + offset + 1] = h >> 8;
    }
  }
  return bytes;
}

/** Looks `ids` ([rows, cols]) up through GatherBlockQuantized and checks every value against ggml's, bit for bit. */
async function assertGathersExactly(dir: string, label: string, type: GgmlType, bytes: Uint8Array, vocab: number, hidden: number, ids: number[][]): Promise<void> {
  const g = new GraphBuilder({ dir });
  const out = emitGgmlEmbedding(g, g.input('ids', DataType.INT64, ['b', 's']), 'embed', ggmlToMatMulNBits(type, bytes, vocab, hidden), vocab, hidden);
  g.output('rows', DataType.FLOAT, ['b', 's', hidden], out);
  const session = await InferenceSession.create(g.finish().graphPath);
  const flat = ids.flat();
  const result = await session.run({ ids: new Tensor('int64', BigInt64Array.from(flat.map(BigInt)), [ids.length, ids[0].length]) });
  await session.release();
  const rows = result.rows.data as Float32Array;
  assert.deepEqual(result.rows.dims, [ids.length, ids[0].length, hidden]);
  const table = dequantizeGgml(type, bytes, vocab * hidden);
  let differing = 0;
  flat.forEach((id, r) => {
    for (let h = 0; h < hidden; h++) if (rows[r * hidden + h] !== table[id * hidden + h]) differing++;
  });
  assert.equal(differing, 0, `${label}: ${differing} of ${flat.length * hidden} gathered values differ from ggml's`);
}

test('GatherBlockQuantized gathers every ggml block type exactly, block offsets included', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-ggml-embed-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const type of [2, 3, 6, 7, 8, 12, 13, 14] as GgmlType[]) {
    const bytes = syntheticTable(type, 8, 512, 600 + type);
    await assertGathersExactly(join(dir, `t${type}`), GGML_TYPES[type].name, type, bytes, 8, 512, [
      [3, 0, 7],
      [7, 7, 1],
    ]);
  }
});

test('a table laid out with float zero points is refused: GatherBlockQuantized has none', () => {
  const m = ggmlToMatMulNBits(12, syntheticTable(12, 1, 256, 1), 1, 256, { offsets: 'float-zero-point' });
  const g = new GraphBuilder({ dir: mkdtempSync(join(tmpdir(), 'hearth-ggml-embed-')) });
  assert.throws(() => emitGgmlEmbedding(g, g.input('ids', DataType.INT64, ['s']), 'embed', m, 1, 256), GgmlMatMulNBitsError);
});

test('the fixture files\' token embedding tables (Q6_K, Q8_0) gather exactly, every row', async (t) => {
  if (!existsSync(FIXTURES)) {
    t.skip(`${FIXTURES} is absent: the GGUF fixtures are not on this machine`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'hearth-ggml-embed-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of ['q4_k_m', 'q8_0']) {
    const file = await openGgufFile(join(FIXTURES, `shakespeare-5m-${name}.gguf`));
    try {
      const info = file.tensors.get('token_embd.weight')!;
      const [hidden, vocab] = info.dims;
      const bytes = await file.readTensorBytes(info.name);
      await assertGathersExactly(join(dir, name), `${name} token_embd (${GGML_TYPES[info.type].name})`, info.type, bytes, vocab, hidden, [Array.from({ length: vocab }, (_, i) => i)]);
    } finally {
      await file.close();
    }
  }
});
