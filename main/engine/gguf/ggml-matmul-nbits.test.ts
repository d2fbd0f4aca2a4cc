import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { DataType } from '../onnx/graph.ts';
import { GraphBuilder } from '../onnx/graph-builder.ts';
import { dequantizeGgml } from './ggml-dequantize.ts';
import { emitGgmlMatMulNBits } from './ggml-linear.ts';
import { dequantizeGgmlMatMulNBits, ggmlToMatMulNBits, GgmlMatMulNBitsError, isGgmlBlockType } from './ggml-matmul-nbits.ts';
import type { GgmlMatMulNBits } from './ggml-matmul-nbits.ts';
import { GGML_TYPES } from './ggml-type.ts';
import type { GgmlType } from './ggml-type.ts';
import { openGgufFile } from './gguf-file.ts';

const FIXTURES = join(import.meta.dirname, '../../../../shared/fixtures/gguf');

/** Types whose mapping keeps every value's float32 bits; the others carry a float zero point. */
const EXACT = new Set<GgmlType>([2, 6, 8, 14]);
/** onnxruntime 1.30's CPU kernel takes float zero points only with 2 or 4 bits. */
const ORT_REFUSES = new Set<GgmlType>([7, 13]);
const FLOAT_ZP = { offsets: 'float-zero-point' } as const;

/** Asserts the difference a mapping is allowed: none, or for a float zero point at most 1 ulp. */
function assertClose(type: GgmlType, label: string, { differing, worstUlps }: { differing: number; worstUlps: number }, values: number): void {
  if (EXACT.has(type)) assert.equal(differing, 0, `${label}: ${differing} values differ`);
  else assert.ok(worstUlps <= 1, `${label}: ${differing} of ${values} values differ, the worst by ${worstUlps} ulps`);
}

// ---- Synthetic blocks: random levels, sane halves ----

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A finite half: random sign and mantissa, exponent in 2^-10 .. 2^1; or 0 one time in 16. */
function randomHalf(next: () => number, positive = false): number {
  if (next() < 1 / 16) return 0;
  const sign = !positive && next() < 0.5 ? 0x8000 : 0;
  return sign | ((5 + Math.floor(next() * 12)) << 10) | Math.floor(next() * 1024);
}

/** Where each block type keeps its halves (d, and m or dmin), by byte offset in the block. */
const HALVES: Record<number, { offset: number; positive: boolean }[]> = {
  2: [{ offset: 0, positive: false }],
  3: [{ offset: 0, positive: true }, { offset: 2, positive: false }],
  6: [{ offset: 0, positive: false }],
  7: [{ offset: 0, positive: true }, { offset: 2, positive: false }],
  8: [{ offset: 0, positive: false }],
  12: [{ offset: 0, positive: true }, { offset: 2, positive: true }],
  13: [{ offset: 0, positive: true }, { offset: 2, positive: true }],
  14: [{ offset: 208, positive: false }],
};

function syntheticTensor(type: GgmlType, rows: number, cols: number, seed: number): Uint8Array {
  const { blockValues, blockBytes } = GGML_TYPES[type];
  const next = random(seed);
  const bytes = Uint8Array.from({ length: ((rows * cols) / blockValues) * blockBytes }, () => Math.floor(next() * 256));
  for (let o = 0; o < bytes.length; o += blockBytes) {
    for (const { offset, positive } of HALVES[type]) {
      const h = randomHalf(next, positive);
      bytes[o + offset] = h & 0xff;
      bytes[o + offset + 1] = h >> 8;
    }
  }
  return bytes;
}

// ---- Comparing the two readings ----

function ulp(x: number): number {
  const a = Math.abs(x);
  return a === 0 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(a)) - 23);
}

/**
 * How far MatMulNBits' reading is from ggml's: the number of values whose bits differ, and the
 * largest difference in ulps of the larger of the block scale·level and offset (the terms ggml adds).
 */
function compare(ggml: Float32Array, mapped: Float32Array, m: GgmlMatMulNBits): { differing: number; worstUlps: number } {
  let differing = 0;
  let worstUlps = 0;
  for (let i = 0; i < ggml.length; i++) {
    if (Object.is(ggml[i], mapped[i]) || (ggml[i] === 0 && mapped[i] === 0)) continue;
    differing++;
    const block = Math.floor(i / m.blockSize);
    const zp = m.zeroPoints ? m.zeroPoints.data[block] : 0;
    const offset = Math.abs(zp * m.scales[block]) + Math.abs(m.blockOffsets?.[block] ?? 0);
    const magnitude = Math.max(Math.abs(ggml[i]), Math.abs(mapped[i]), offset);
    worstUlps = Math.max(worstUlps, Math.abs(ggml[i] - mapped[i]) / ulp(magnitude));
  }
  return { differing, worstUlps };
}

const ALL_BLOCK_TYPES: GgmlType[] = [2, 3, 6, 7, 8, 12, 13, 14];

test('each ggml block type maps onto MatMulNBits with the documented bits, block size and zero points', () => {
  const expected: Record<number, [number, number, string]> = {
    2: [4, 32, 'none'],
    3: [4, 32, 'float'],
    6: [8, 32, 'uint8'],
    7: [8, 32, 'float'],
    8: [8, 32, 'none'],
    12: [4, 32, 'float'],
    13: [8, 32, 'float'],
    14: [8, 16, 'uint8'],
  };
  for (const type of ALL_BLOCK_TYPES) {
    const m = ggmlToMatMulNBits(type, syntheticTensor(type, 2, 256, type), 2, 256, FLOAT_ZP);
    assert.deepEqual([m.bits, m.blockSize, m.zeroPoints?.type ?? 'none'], expected[type], GGML_TYPES[type].name);
    assert.equal(m.packed.length, (2 * 256 * m.bits) / 8);
    assert.equal(m.scales.length, (2 * 256) / m.blockSize);
    assert.equal(m.blockOffsets, null);
    // The default route keeps offsets beside the weights: uint8 zero points, all 0.
    const routed = ggmlToMatMulNBits(type, syntheticTensor(type, 2, 256, type), 2, 256);
    if (expected[type][2] !== 'float') continue;
    assert.equal(routed.zeroPoints?.type, 'uint8');
    assert.equal(routed.zeroPoints.data.length, m.bits === 4 ? 2 * Math.ceil(routed.kBlocks / 2) : 2 * routed.kBlocks);
    assert.ok(routed.zeroPoints.data.every((z) => z === 0));
    assert.equal(routed.blockOffsets?.length, 2 * routed.kBlocks);
  }
});

test('every block type maps bit-exactly with block offsets; with float zero points the offset formats within 1 ulp', () => {
  for (const type of ALL_BLOCK_TYPES) {
    const rows = 6;
    const cols = 512;
    const bytes = syntheticTensor(type, rows, cols, 100 + type);
    const exact = ggmlToMatMulNBits(type, bytes, rows, cols);
    const { differing } = compare(dequantizeGgml(type, bytes, rows * cols), dequantizeGgmlMatMulNBits(exact, rows, cols), exact);
    assert.equal(differing, 0, `${GGML_TYPES[type].name} with block offsets: ${differing} values differ`);
    const m = ggmlToMatMulNBits(type, bytes, rows, cols, FLOAT_ZP);
    assertClose(type, GGML_TYPES[type].name, compare(dequantizeGgml(type, bytes, rows * cols), dequantizeGgmlMatMulNBits(m, rows, cols), m), rows * cols);
  }
});

test('Q4_0 nibbles are repacked from ggml order (j, j+16) to MatMulNBits order (2i, 2i+1)', () => {
  // d = 1 (0x3c00); byte j holds value j = j in the low nibble, value j+16 = 15 - j in the high one.
  const block = Uint8Array.from([0x00, 0x3c, ...Array.from({ length: 16 }, (_, j) => ((15 - j) << 4) | j)]);
  const m = ggmlToMatMulNBits(2, block, 1, 32);
  const levels = [...Array.from({ length: 16 }, (_, j) => j), ...Array.from({ length: 16 }, (_, j) => 15 - j)];
  assert.deepEqual(Array.from(m.packed), Array.from({ length: 16 }, (_, i) => levels[2 * i] | (levels[2 * i + 1] << 4)));
  assert.deepEqual(Array.from(m.scales), [1]);
  assert.equal(m.zeroPoints, null);
});

test('a k-quant sub-block whose scale is 0 keeps its offset exactly (level 0, zero point -1, scale = offset)', () => {
  // Q4_K with d = 0, dmin = 1: every value is -m of its sub-block.
  const scales = [0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0];
  const block = Uint8Array.from([0, 0, 0x00, 0x3c, ...scales, ...new Array(128).fill(0xff)]);
  const m = ggmlToMatMulNBits(12, block, 1, 256, FLOAT_ZP);
  const ggml = dequantizeGgml(12, block, 256);
  assert.deepEqual(Array.from(dequantizeGgmlMatMulNBits(m, 1, 256)), Array.from(ggml));
  assert.equal(ggml[32], -2);
  assert.deepEqual(Array.from(m.zeroPoints!.data.subarray(0, 2)), [-1, -1]);
});

test('float types and partial blocks are refused with a message saying what to do', () => {
  assert.ok(!isGgmlBlockType(1));
  assert.throws(() => ggmlToMatMulNBits(1, new Uint8Array(64), 1, 32), /F16 is a float type .* dequantizeGgml/);
  assert.throws(() => ggmlToMatMulNBits(12, new Uint8Array(1000), 1, 128), GgmlMatMulNBitsError);
  assert.throws(() => ggmlToMatMulNBits(2, new Uint8Array(10), 1, 32), /need 18 bytes, got 10/);
});

// ---- onnxruntime reads the same weights ----

async function ortWeight(dir: string, m: GgmlMatMulNBits, N: number, K: number, rowsOfA: number[], accuracyLevel = 1): Promise<Float32Array> {
  const g = new GraphBuilder({ dir });
  const y = emitGgmlMatMulNBits(g, g.input('a', DataType.FLOAT, ['batch', 'm', K]), 'layer', m, N, K, accuracyLevel);
  g.output('y', DataType.FLOAT, ['batch', 'm', N], y);
  const session = await InferenceSession.create(g.finish().graphPath);
  // A holds one-hot rows: row r selects input k = rowsOfA[r], so y[r][n] = w[n][k] with nothing added.
  const a = new Float32Array(rowsOfA.length * K);
  rowsOfA.forEach((k, r) => (a[r * K + k] = 1));
  const out = (await session.run({ a: new Tensor('float32', a, [1, rowsOfA.length, K]) })).y.data as Float32Array;
  await session.release();
  return out;
}

/**
 * Checks onnxruntime's product with one-hot rows against the MatMulNBits reading, bit for bit
 * (with block offsets, that reading is ggml's own).
 */
async function assertOrtReadsAlike(dir: string, label: string, m: GgmlMatMulNBits, N: number, K: number): Promise<void> {
  const expected = dequantizeGgmlMatMulNBits(m, N, K);
  // All of K at once (M = K, the GEMM path), then single rows (M = 1, the vector path).
  for (const rowsOfA of [Array.from({ length: K }, (_, k) => k), [0], [K - 1]]) {
    const y = await ortWeight(dir, m, N, K, rowsOfA);
    let differing = 0;
    rowsOfA.forEach((k, r) => {
      for (let n = 0; n < N; n++) if (y[r * N + n] !== expected[n * K + k]) differing++;
    });
    assert.equal(differing, 0, `${label}, M=${rowsOfA.length}: ${differing} of ${rowsOfA.length * N} values differ from (q - zp)·scale`);
  }
}

test('onnxruntime MatMulNBits (accuracy_level 1) computes with exactly the mapped weights, every block type and route', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-ggml-mmnb-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const type of ALL_BLOCK_TYPES) {
    const bytes = syntheticTensor(type, 8, 256, 300 + type);
    const name = GGML_TYPES[type].name;
    await assertOrtReadsAlike(join(dir, `t${type}`), `${name} with block offsets`, ggmlToMatMulNBits(type, bytes, 8, 256), 8, 256);
    if (!ORT_REFUSES.has(type)) await assertOrtReadsAlike(join(dir, `t${type}f`), `${name} with float zero points`, ggmlToMatMulNBits(type, bytes, 8, 256, FLOAT_ZP), 8, 256);
  }
});

test('at accuracy_level 4 (int8 activations, as Hearth builds for the CPU) the product is x·Wᵀ of the ggml weights within int8 rounding', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-ggml-mmnb-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const N = 16;
  const K = 512;
  const M = 3;
  const next = random(7);
  const a = Float32Array.from({ length: M * K }, () => next() * 2 - 1);
  for (const type of ALL_BLOCK_TYPES) {
    const bytes = syntheticTensor(type, N, K, 500 + type);
    const w = dequantizeGgml(type, bytes, N * K);
    const g = new GraphBuilder({ dir: join(dir, `t${type}`) });
    g.output('y', DataType.FLOAT, ['m', N], emitGgmlMatMulNBits(g, g.input('a', DataType.FLOAT, ['m', K]), 'layer', ggmlToMatMulNBits(type, bytes, N, K), N, K, 4));
    const session = await InferenceSession.create(g.finish().graphPath);
    const y = (await session.run({ a: new Tensor('float32', a, [M, K]) })).y.data as Float32Array;
    await session.release();
    let worst = 0;
    let largest = 0;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let exact = 0;
        for (let k = 0; k < K; k++) exact += a[m * K + k] * w[n * K + k];
        largest = Math.max(largest, Math.abs(exact));
        worst = Math.max(worst, Math.abs(y[m * N + n] - exact));
      }
    }
    // Level 4 quantizes each block of A to int8 (~0.4% per block); the existing int4 builds see ~6e-3.
    assert.ok(worst / largest < 2e-2, `${GGML_TYPES[type].name}: relative error ${worst / largest}`);
  }
});

test('onnxruntime 1.30 refuses 8-bit MatMulNBits with float zero points (Q5_1, Q5_K take the block-offset route)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-ggml-mmnb-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const type of ORT_REFUSES) {
    const m = ggmlToMatMulNBits(type, syntheticTensor(type, 8, 256, 400 + type), 8, 256, FLOAT_ZP);
    await assert.rejects(ortWeight(join(dir, `t${type}`), m, 8, 256, [0]), /Only 2b and 4b quantization is supported for unpacked compute/);
  }
});

test('the fixture GGUF files: every block-quantized weight maps exactly (float zero points: within 1 ulp), and onnxruntime reads one of each', async (t) => {
  if (!existsSync(FIXTURES)) {
    t.skip(`${FIXTURES} is absent: the GGUF fixtures are not on this machine`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'hearth-ggml-fixture-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const checkedByOrt = new Set<GgmlType>();
  for (const name of ['q4_0', 'q4_k_m', 'q6_k', 'q8_0']) {
    const file = await openGgufFile(join(FIXTURES, `shakespeare-5m-${name}.gguf`));
    try {
      for (const info of file.tensors.values()) {
        if (!isGgmlBlockType(info.type) || info.dims.length !== 2) continue;
        const [cols, rows] = info.dims;
        const bytes = await file.readTensorBytes(info.name);
        const label = `${name} ${info.name} (${GGML_TYPES[info.type].name})`;
        const ggml = dequantizeGgml(info.type, bytes, rows * cols);
        const m = ggmlToMatMulNBits(info.type, bytes, rows, cols);
        const { differing } = compare(ggml, dequantizeGgmlMatMulNBits(m, rows, cols), m);
        assert.equal(differing, 0, `${label} with block offsets: ${differing} values differ`);
        const floatZp = ggmlToMatMulNBits(info.type, bytes, rows, cols, FLOAT_ZP);
        assertClose(info.type, `${label} with float zero points`, compare(ggml, dequantizeGgmlMatMulNBits(floatZp, rows, cols), floatZp), rows * cols);
        if (!checkedByOrt.has(info.type)) {
          checkedByOrt.add(info.type);
          await assertOrtReadsAlike(join(dir, `${name}-${checkedByOrt.size}`), label, m, rows, cols);
        }
      }
    } finally {
      await file.close();
    }
  }
  assert.deepEqual([...checkedByOrt].sort((a, b) => a - b), [2, 6, 8, 12, 14]);
});
