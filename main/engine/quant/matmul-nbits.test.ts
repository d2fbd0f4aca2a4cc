import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { attr, DataType } from '../onnx/graph.ts';
import { GraphBuilder } from '../onnx/graph-builder.ts';
import { dequantizeMatMulNBits, quantizeMatMulNBits, QuantizationError } from './matmul-nbits.ts';
import type { MatMulNBitsOptions } from './matmul-nbits.ts';

// ---- Hand-computed cases (algorithm: ../../../../shared/design/onnxruntime.md §2) ----
// Values are chosen so that every scale is exact and the rounding steps are easy to follow;
// several land exactly on .5 where roundf (half away from zero) and round-half-even differ.

const sym4 = { bits: 4, blockSize: 16, symmetric: true } as const;
const asym4 = { bits: 4, blockSize: 16, symmetric: false } as const;

test('4-bit symmetric: the larger-magnitude end maps to q=0 and bytes pack low nibble first', () => {
  // [-8 .. 7]: the extreme is min = -8, scale = -8 / -8 = 1, q = v + 8 = 0..15.
  const q = quantizeMatMulNBits(Float32Array.from({ length: 16 }, (_, i) => i - 8), 1, 16, sym4);
  assert.deepEqual(Array.from(q.packed), [0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe]);
  assert.deepEqual(Array.from(q.scales), [1]);
  assert.equal(q.zeroPoints, null);
  assert.equal(q.kBlocks, 1);
  assert.equal(q.blobSize, 8);
});

test('4-bit symmetric, all positive: the scale is negative', () => {
  // 0, 0.5 .. 7.5: extreme 7.5, scale = 7.5 / -8 = -0.9375, q = round(8 - v / 0.9375).
  const q = quantizeMatMulNBits(Float32Array.from({ length: 16 }, (_, i) => i * 0.5), 1, 16, sym4);
  // q = [8,7,7,6,6,5,5,4,4,3,3,2,2,1,1,0]
  assert.deepEqual(Array.from(q.packed), [0x78, 0x67, 0x56, 0x45, 0x34, 0x23, 0x12, 0x01]);
  assert.deepEqual(Array.from(q.scales), [-0.9375]);
});

test('4-bit asymmetric: zero point and values round half away from zero', () => {
  // min -1.125, max 2.625: scale 3.75 / 15 = 0.25, zero point roundf(4.5) = 5, q = roundf(4v + 5).
  const values = [-1.125, 2.625, 0, 0.125, 0.375, -0.625, 1, 2, -1, 0.25, 0.5, 0.75, -0.25, 1.5, 2.5, -0.875];
  const q = quantizeMatMulNBits(Float32Array.from(values), 1, 16, asym4);
  // q = [1,15,5,6,7,3,9,13,1,6,7,8,4,11,15,2]  (0.125 -> 5.5 -> 6; 2.625 -> 15.5 -> clamped 15)
  assert.deepEqual(Array.from(q.packed), [0xf1, 0x65, 0x37, 0xd9, 0x61, 0x87, 0xb4, 0x2f]);
  assert.deepEqual(Array.from(q.scales), [0.25]);
  // One block: its zero point in the low nibble, the missing second one reads 8.
  assert.deepEqual(Array.from(q.zeroPoints!), [0x85]);
});

test('4-bit asymmetric, all negative: the range is extended to 0 and the zero point is 15', () => {
  const q = quantizeMatMulNBits(Float32Array.from({ length: 16 }, (_, k) => -0.25 * k), 1, 16, asym4);
  // scale 3.75 / 15 = 0.25, zero point 15, q = 15 - k
  assert.deepEqual(Array.from(q.packed), [0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01]);
  assert.deepEqual(Array.from(q.scales), [0.25]);
  assert.deepEqual(Array.from(q.zeroPoints!), [0x8f]);
});

test('an all-zero block: symmetric scale -0 and q = 8; asymmetric scale 0, zero point 0, q = 0', () => {
  const sym = quantizeMatMulNBits(new Float32Array(16), 1, 16, sym4);
  assert.deepEqual(Array.from(sym.packed), new Array(8).fill(0x88));
  assert.ok(Object.is(sym.scales[0], -0), 'MLAS writes 0 / -8 = -0');
  const asym = quantizeMatMulNBits(new Float32Array(16), 1, 16, asym4);
  assert.deepEqual(Array.from(asym.packed), new Array(8).fill(0));
  assert.deepEqual(Array.from(asym.scales), [0]);
  assert.deepEqual(Array.from(asym.zeroPoints!), [0x80]);
});

test('4-bit asymmetric, two rows, odd kBlocks and K not a multiple of the block size', () => {
  const tie = [-1.125, 2.625, 0, 0.125, 0.375, -0.625, 1, 2, -1, 0.25, 0.5, 0.75, -0.25, 1.5, 2.5, -0.875];
  const negative = Array.from({ length: 16 }, (_, k) => -0.25 * k);
  const positive = Array.from({ length: 16 }, (_, k) => 0.25 * k);
  const row0 = [...tie, ...negative, 0, 3.75, 1, 2, 0.5, 0.25, 3, 1.5];
  const row1 = [...new Array(16).fill(0), ...positive, -3.75, -0.5, -1, -2, 0, -0.25, -3, -1.5];
  const q = quantizeMatMulNBits(Float32Array.from([...row0, ...row1]), 2, 40, asym4);
  assert.equal(q.kBlocks, 3);
  assert.deepEqual(Array.from(q.packed), [
    0xf1, 0x65, 0x37, 0xd9, 0x61, 0x87, 0xb4, 0x2f, //  row 0 block 0: zero point 5
    0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01, //  row 0 block 1: zero point 15
    0xf0, 0x84, 0x12, 0x6c, 0, 0, 0, 0,             //  row 0 block 2: zero point 0, q = 4v; past K: 0
    0, 0, 0, 0, 0, 0, 0, 0,                         //  row 1 block 0: all zero
    0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, //  row 1 block 1: q = k
    0xd0, 0x7b, 0xef, 0x93, 0, 0, 0, 0,             //  row 1 block 2: zero point 15, q = 4v + 15
  ]);
  assert.deepEqual(Array.from(q.scales), [0.25, 0.25, 0.25, 0, 0.25, 0.25]);
  // [N, ceil(3 / 2)]: (block0 | block1 << 4), (block2 | 8 << 4)
  assert.deepEqual(Array.from(q.zeroPoints!), [0xf5, 0x80, 0x00, 0x8f]);
});

test('8-bit symmetric: mid 128, one byte per value', () => {
  const q = quantizeMatMulNBits(Float32Array.from({ length: 16 }, (_, i) => i - 8), 1, 16, { bits: 8, blockSize: 16, symmetric: true });
  assert.deepEqual(Array.from(q.packed), Array.from({ length: 16 }, (_, i) => 16 * i));
  assert.deepEqual(Array.from(q.scales), [0.0625]);
  assert.equal(q.blobSize, 16);

  const positive = quantizeMatMulNBits(Float32Array.from({ length: 16 }, (_, i) => i * 0.5), 1, 16, { bits: 8, blockSize: 16, symmetric: true });
  // scale 7.5 / -128, q = round(128 - 128 k / 15)
  assert.deepEqual(Array.from(positive.packed), [128, 119, 111, 102, 94, 85, 77, 68, 60, 51, 43, 34, 26, 17, 9, 0]);
  assert.deepEqual(Array.from(positive.scales), [-0.05859375]);
});

test('8-bit asymmetric with a partial second block: zero points unpacked [N, kBlocks]', () => {
  // Block 0: min -1, max 2.984375 = 191/64: scale (255/64) / 255 = 1/64, zero point 64, q = roundf(64v + 64).
  const block0 = [-1, 2.984375, 0, 1 / 128, 3 / 128, 0.5, -0.5, 1, 2, -1 / 128, 5 / 128, 0.25, -0.25, 1.5, 2.5, 0.125];
  // Block 1 (4 of 16 rows): min 0, max 255/64: scale 1/64, zero point 0.
  const block1 = [0, 3.984375, 1, 2];
  const q = quantizeMatMulNBits(Float32Array.from([...block0, ...block1]), 1, 20, { bits: 8, blockSize: 16, symmetric: false });
  assert.equal(q.kBlocks, 2);
  // 1/128 -> 64.5 -> 65 and 5/128 -> 66.5 -> 67: round-half-even would give 64 and 66.
  assert.deepEqual(Array.from(q.packed.subarray(0, 16)), [0, 255, 64, 65, 66, 96, 32, 128, 192, 64, 67, 80, 48, 160, 224, 72]);
  assert.deepEqual(Array.from(q.packed.subarray(16)), [0, 255, 64, 128, ...new Array(12).fill(0)]);
  assert.deepEqual(Array.from(q.scales), [1 / 64, 1 / 64]);
  assert.deepEqual(Array.from(q.zeroPoints!), [64, 0]);
});

// ---- An independent reference, written as the design notes state it: on W = weight^T [K, N] ----

function referencePack(weight: Float32Array, N: number, K: number, bits: 4 | 8, bs: number, symmetric: boolean) {
  const wt = new Float32Array(K * N); // [K, N]
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) wt[k * N + n] = weight[n * K + k];
  const f32 = Math.fround;
  const roundf = (x: number) => Math.sign(x) * Math.floor(Math.abs(x) + 0.5);
  const maxq = 2 ** bits - 1;
  const mid = 2 ** (bits - 1);
  const kb = Math.ceil(K / bs);
  const blob = (bs * bits) / 8;
  const B = new Uint8Array(N * kb * blob);
  const scales = new Float32Array(N * kb);
  const zps: number[][] = [];
  for (let n = 0; n < N; n++) {
    zps.push([]);
    for (let b = 0; b < kb; b++) {
      const v: number[] = [];
      for (let k = b * bs; k < Math.min((b + 1) * bs, K); k++) v.push(wt[k * N + n]);
      let s: number;
      let zp: number;
      if (symmetric) {
        const m = Math.abs(Math.max(...v)) > Math.abs(Math.min(...v)) ? Math.max(...v) : Math.min(...v);
        s = f32(m / -mid);
        zp = mid;
      } else {
        const mn = Math.min(Math.min(...v), 0);
        const mx = Math.max(Math.max(...v), 0);
        s = f32(f32(mx - mn) / maxq);
        zp = s === 0 ? 0 : Math.min(Math.max(roundf(f32(-f32(mn / s))), 0), maxq);
      }
      const r = s !== 0 ? f32(1 / s) : 0;
      const q = new Array(bs).fill(0);
      v.forEach((x, i) => (q[i] = Math.min(Math.max(roundf(f32(f32(x * r) + zp)), 0), maxq)));
      for (let i = 0; i < blob; i++) B[(n * kb + b) * blob + i] = bits === 4 ? q[2 * i] | (q[2 * i + 1] << 4) : q[i];
      scales[n * kb + b] = s;
      zps[n].push(zp);
    }
  }
  let zeroPoints: Uint8Array | null = null;
  if (!symmetric) {
    const perRow = bits === 4 ? Math.ceil(kb / 2) : kb;
    zeroPoints = new Uint8Array(N * perRow);
    for (let n = 0; n < N; n++) {
      for (let j = 0; j < perRow; j++) {
        zeroPoints[n * perRow + j] = bits === 4 ? zps[n][2 * j] | ((zps[n][2 * j + 1] ?? 8) << 4) : zps[n][j];
      }
    }
  }
  return { B, scales, zeroPoints };
}

/** Seeded standard normal values, with every `outlierEvery`-th one multiplied by 8. */
function gaussian(count: number, seed: number, outlierEvery = 0): Float32Array {
  let s = seed >>> 0;
  const uniform = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const g = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    out[i] = outlierEvery > 0 && i % outlierEvery === outlierEvery - 1 ? g * 8 : g;
  }
  return out;
}

test('random weights match the reference byte for byte (4/8 bits, sym/asym, partial blocks)', () => {
  const shapes = [
    [5, 48, 16], // kBlocks 3 (odd), full blocks
    [3, 40, 16], // partial last block
    [4, 100, 32], // kBlocks 4, last block of 4 rows
    [2, 64, 64],
  ];
  for (const [N, K, blockSize] of shapes) {
    for (const bits of [4, 8] as const) {
      for (const symmetric of [true, false]) {
        // Mixed signs plus blocks that are all positive or all negative.
        const weight = gaussian(N * K, N * 1000 + K + bits).map((v, i) => (i % 97 < 30 ? Math.abs(v) : i % 97 < 60 ? -Math.abs(v) : v) * 0.05);
        const ours = quantizeMatMulNBits(weight, N, K, { bits, blockSize, symmetric });
        const ref = referencePack(weight, N, K, bits, blockSize, symmetric);
        const what = `N=${N} K=${K} bs=${blockSize} bits=${bits} ${symmetric ? 'sym' : 'asym'}`;
        assert.deepEqual(ours.packed, ref.B, `${what}: packed`);
        assert.deepEqual(ours.scales, ref.scales, `${what}: scales`);
        assert.deepEqual(ours.zeroPoints, ref.zeroPoints, `${what}: zero points`);
      }
    }
  }
});

test('dequantize inverts the packing: w = (q - zp) * scale, within half a step of the weight', () => {
  for (const opts of [sym4, asym4, { bits: 8, blockSize: 32, symmetric: true }, { bits: 8, blockSize: 32, symmetric: false }] as MatMulNBitsOptions[]) {
    const N = 3;
    const K = 72;
    const weight = gaussian(N * K, 5);
    const q = quantizeMatMulNBits(weight, N, K, opts);
    const w = dequantizeMatMulNBits(q, N, K, opts);
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) {
        const step = Math.abs(q.scales[n * q.kBlocks + Math.floor(k / opts.blockSize)]);
        // The symmetric range [-8, 7] * scale loses the positive end by up to one step.
        const allowed = opts.symmetric ? step * 1.0001 : step * 0.5001;
        assert.ok(Math.abs(w[n * K + k] - weight[n * K + k]) <= allowed, `${JSON.stringify(opts)} [${n},${k}]`);
      }
    }
  }
});

test('bad arguments are rejected with the reason', () => {
  assert.throws(() => quantizeMatMulNBits(new Float32Array(10), 2, 8, sym4), (e: unknown) => e instanceof QuantizationError && /16 values, got 10/.test(e.message));
  assert.throws(() => quantizeMatMulNBits(new Float32Array(48), 2, 24, { ...sym4, blockSize: 24 }), /power of two/);
  assert.throws(() => quantizeMatMulNBits(new Float32Array(16), 1, 16, { ...sym4, bits: 2 as 4 }), /bits must be 4 or 8/);
});

// ---- clipSearch ----

function meanSquaredError(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return sum / a.length;
}

test('clipSearch lowers the int4 reconstruction error on Gaussian weights with outliers', () => {
  const N = 64;
  const K = 256;
  const weight = gaussian(N * K, 42, 50).map((v) => v * 0.02);
  for (const symmetric of [true, false]) {
    const opts = { bits: 4, blockSize: 32, symmetric } as const;
    const rtn = quantizeMatMulNBits(weight, N, K, opts);
    const clipped = quantizeMatMulNBits(weight, N, K, { ...opts, clipSearch: true });
    const rtnBlocks = dequantizeMatMulNBits(rtn, N, K, opts);
    const clippedBlocks = dequantizeMatMulNBits(clipped, N, K, opts);
    // Never worse in any block, since the full range is among the candidates.
    for (let block = 0; block < (N * K) / 32; block++) {
      const range = [block * 32, (block + 1) * 32] as const;
      const e1 = meanSquaredError(weight.subarray(...range), rtnBlocks.subarray(...range));
      const e2 = meanSquaredError(weight.subarray(...range), clippedBlocks.subarray(...range));
      assert.ok(e2 <= e1 * (1 + 1e-6), `block ${block}: ${e2} > ${e1}`);
    }
    const before = meanSquaredError(weight, rtnBlocks);
    const after = meanSquaredError(weight, clippedBlocks);
    // Measured on this test's weights: about 5% lower (7-9% on Gaussian weights without outliers).
    assert.ok(after < before * 0.97, `${symmetric ? 'sym' : 'asym'}: clipSearch MSE ${after} vs round-to-nearest ${before}`);
  }
});

// ---- onnxruntime runs the packed weights ----

function matmulTransposed(a: Float32Array, w: Float32Array, M: number, N: number, K: number): Float32Array {
  const out = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += a[m * K + k] * w[n * K + k];
      out[m * N + n] = sum;
    }
  }
  return out;
}

async function runMatMulNBits(dir: string, a: Float32Array, M: number, N: number, K: number, opts: MatMulNBitsOptions, weight: Float32Array, accuracyLevel: number) {
  const q = quantizeMatMulNBits(weight, N, K, opts);
  const g = new GraphBuilder({ dir });
  const x = g.input('a', DataType.FLOAT, ['m', K]);
  const inputs = [
    x,
    g.initializer('b', DataType.UINT8, [N, q.kBlocks, q.blobSize], q.packed),
    g.initializer('scales', DataType.FLOAT, [N, q.kBlocks], q.scales),
  ];
  if (q.zeroPoints) inputs.push(g.initializer('zero_points', DataType.UINT8, [N, q.zeroPoints.length / N], q.zeroPoints));
  const y = g.op(
    'MatMulNBits',
    inputs,
    { K: attr.int(K), N: attr.int(N), bits: attr.int(opts.bits), block_size: attr.int(opts.blockSize), accuracy_level: attr.int(accuracyLevel) },
    { domain: 'com.microsoft' },
  );
  g.output('y', DataType.FLOAT, ['m', N], y);
  const session = await InferenceSession.create(g.finish().graphPath);
  const out = await session.run({ a: new Tensor('float32', a, [M, K]) });
  return { actual: out.y.data as Float32Array, expected: matmulTransposed(a, dequantizeMatMulNBits(q, N, K, opts), M, N, K) };
}

test('MatMulNBits in onnxruntime computes A x dequantize(W)^T', async (t) => {
  const M = 3;
  const N = 24;
  const K = 80; // block 32: 3 blocks, the last one half full
  const weight = gaussian(N * K, 9, 40).map((v) => v * 0.05);
  const a = gaussian(M * K, 10);
  const cases: { opts: MatMulNBitsOptions; level: number; tolerance: number }[] = [];
  for (const bits of [4, 8] as const) {
    for (const symmetric of [true, false]) {
      // Level 1 computes in fp32 (measured ~1e-7); level 4 quantizes A to int8 per block (~6e-3).
      cases.push({ opts: { bits, blockSize: 32, symmetric, clipSearch: bits === 4 }, level: 1, tolerance: 1e-5 });
      cases.push({ opts: { bits, blockSize: 32, symmetric }, level: 4, tolerance: 2e-2 });
    }
  }
  for (const { opts, level, tolerance } of cases) {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-mmnb-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const { actual, expected } = await runMatMulNBits(dir, a, M, N, K, opts, weight, level);
    const scale = Math.max(...expected.map(Math.abs));
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / scale);
    assert.ok(worst <= tolerance, `${JSON.stringify(opts)} accuracy_level ${level}: relative error ${worst}`);
  }
});
