import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quantizeMatMulNBits } from './matmul-nbits.ts';
import { quantizePerChannelInt8 } from './per-channel-int8.ts';
import { PER_CHANNEL_TILE, quantizeMatMulNBitsRows, type KernelJob } from './quantize-kernels.ts';
import { kernelWeight, quantizeThreadStats, runKernelOnThreads, THREADED_MIN_VALUES } from './quantize-threads.ts';
import { lazyBf16Tensor } from '../checkpoint/bf16-weight.ts';

/** Seeded values of mixed magnitude, with whole blocks of zeros and of one sign. */
function weights(count: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32 - 0.5;
    const block = Math.floor(i / 32) % 41;
    out[i] = block === 7 ? 0 : block === 11 ? Math.abs(u) * 0.03 : u * 0.04 * (i % 53 === 0 ? 9 : 1);
  }
  return out;
}

// 300 x 1000: over the threaded threshold, rows split into uneven chunks, K not a multiple of 32.
const N = 300;
const K = 1000;

test('the tensor is large enough to be quantized on threads', () => {
  assert.ok(N * K >= THREADED_MIN_VALUES);
});

test('MatMulNBits: the same bytes on 1, 2 and 5 threads (4/8 bits, symmetric/asymmetric, with and without the search)', () => {
  const weight = weights(N * K, 3);
  for (const bits of [4, 8] as const) {
    for (const symmetric of [true, false]) {
      for (const clipSearch of [false, true]) {
        const opts = { bits, blockSize: 32, symmetric, clipSearch };
        const one = quantizeMatMulNBits(weight, N, K, opts, 1);
        for (const threads of [2, 5]) {
          const many = quantizeMatMulNBits(weight, N, K, opts, threads);
          const what = `${JSON.stringify(opts)} on ${threads} threads`;
          assert.deepEqual(many.packed, one.packed, `${what}: packed`);
          assert.deepEqual(many.scales, one.scales, `${what}: scales`);
          assert.deepEqual(many.zeroPoints, one.zeroPoints, `${what}: zero points`);
          assert.ok(!(many.packed.buffer instanceof SharedArrayBuffer), 'the caller gets ordinary memory back');
        }
      }
    }
  }
});

test('MatMulNBits: quantizing rows in pieces gives the bytes of one pass (the kernel keeps rows independent)', () => {
  const weight = weights(6 * 100, 5);
  const whole = quantizeMatMulNBits(weight, 6, 100, { bits: 4, blockSize: 32, symmetric: false, clipSearch: true }, 1);
  const packed = new Uint8Array(whole.packed.length);
  const scales = new Float32Array(whole.scales.length);
  const zeroPoints = new Uint8Array(whole.zeroPoints!.length);
  for (const [start, end] of [[4, 6], [0, 1], [1, 4]]) quantizeMatMulNBitsRows(weight, 0, 100, 4, 32, false, [1, 0.95, 0.9, 0.85], start, end, packed, scales, zeroPoints);
  assert.deepEqual(packed, whole.packed);
  assert.deepEqual(scales, whole.scales);
  assert.deepEqual(zeroPoints, whole.zeroPoints);
});

test('per-channel int8: the same bytes on 1 and 3 threads', () => {
  const weight = { data: weights(N * K, 7), shape: [N, K] };
  const one = quantizePerChannelInt8(weight, 1);
  const many = quantizePerChannelInt8(weight, 3);
  assert.deepEqual(many.quantized, one.quantized);
  assert.deepEqual(many.scales, one.scales);
  // The transposed layout: q[k][n] * scale[n] is within half a step of w[n][k].
  for (const [n, k] of [[0, 0], [299, 999], [17, 512]]) {
    assert.ok(Math.abs(one.quantized[k * N + n] * one.scales[n] - weight.data[n * K + k]) <= one.scales[n] * 0.5001, `[${n}, ${k}]`);
  }
});

test('a weight passed through shared memory a slice at a time gives the bytes of one pass (MatMulNBits with zero points, per-channel int8)', () => {
  const weight = weights(N * K, 9);
  const one = quantizeMatMulNBits(weight, N, K, { bits: 4, blockSize: 32, symmetric: false, clipSearch: true }, 1);
  const job: KernelJob = {
    kernel: 'matMulNBits',
    weight,
    firstRow: 0,
    K,
    bits: 4,
    blockSize: 32,
    symmetric: false,
    clipFactors: [1, 0.95, 0.9, 0.85],
    packed: new Uint8Array(one.packed.length),
    scales: new Float32Array(one.scales.length),
    zeroPoints: new Uint8Array(one.zeroPoints!.length),
  };
  // 47 rows a slice: 7 slices, the last one short.
  runKernelOnThreads(job, N, K, 3, 47 * K);
  assert.deepEqual(job.packed, one.packed);
  assert.deepEqual(job.scales, one.scales);
  assert.deepEqual(job.zeroPoints, one.zeroPoints);
  const int8 = quantizePerChannelInt8({ data: weight, shape: [N, K] }, 1);
  const sliced: KernelJob = { kernel: 'perChannelInt8', weight, firstRow: 0, inFeatures: K, columns: N, quantized: new Int8Array(N * K), scales: new Float32Array(N), tile: PER_CHANNEL_TILE };
  runKernelOnThreads(sliced, N, K, 3, 47 * K);
  assert.deepEqual(sliced.quantized, int8.quantized);
  assert.deepEqual(sliced.scales, int8.scales);
});

test('the worker threads really quantize (their source runs as sent), and none failed', () => {
  const before = quantizeThreadStats.chunksOnWorkers;
  const weight = weights(2048 * 1024, 11);
  // A few tensors in a row: a worker busy elsewhere on the machine still gets chunks of some of them.
  for (let i = 0; i < 4 && quantizeThreadStats.chunksOnWorkers === before; i++) {
    quantizeMatMulNBits(weight, 2048, 1024, { bits: 4, blockSize: 32, symmetric: true, clipSearch: true }, 2);
  }
  assert.ok(quantizeThreadStats.chunksOnWorkers > before, 'a worker thread took chunks');
  assert.equal(quantizeThreadStats.failedSlices, 0, 'no slice failed on a worker');
});

test('a bfloat16 weight, widened by the threads that quantize it, gives the bytes of its widened floats (1 thread, 3 threads, sliced; both kernels)', () => {
  const bits = new Uint16Array(new Uint32Array(weights(N * K, 13).buffer).map((b) => b >>> 16));
  const floats = new Float32Array(new Uint32Array(Array.from(bits, (b) => b << 16)).buffer);
  const opts = { bits: 4, blockSize: 32, symmetric: false, clipSearch: true } as const;
  const reference = quantizeMatMulNBits(floats, N, K, opts, 1);
  for (const threads of [1, 3]) {
    const q = quantizeMatMulNBits({ bf16: bits }, N, K, opts, threads);
    assert.deepEqual(q.packed, reference.packed, `${threads} thread(s)`);
    assert.deepEqual(q.scales, reference.scales);
    assert.deepEqual(q.zeroPoints, reference.zeroPoints);
  }
  const job: KernelJob = {
    kernel: 'matMulNBits',
    ...kernelWeight({ bf16: bits }),
    firstRow: 0,
    K,
    bits: 4,
    blockSize: 32,
    symmetric: false,
    clipFactors: [1, 0.95, 0.9, 0.85],
    packed: new Uint8Array(reference.packed.length),
    scales: new Float32Array(reference.scales.length),
    zeroPoints: new Uint8Array(reference.zeroPoints!.length),
  };
  runKernelOnThreads(job, N, K, 3, 47 * K);
  assert.deepEqual(job.packed, reference.packed);
  assert.deepEqual(job.scales, reference.scales);
  const int8 = quantizePerChannelInt8({ data: floats, shape: [N, K] }, 1);
  for (const threads of [1, 3]) {
    const q = quantizePerChannelInt8(lazyBf16Tensor(bits, [N, K]), threads);
    assert.deepEqual(q.quantized, int8.quantized, `${threads} thread(s)`);
    assert.deepEqual(q.scales, int8.scales);
  }
});
