// Block-wise weight quantization for onnxruntime's MatMulNBits (com.microsoft).
//
// Round-to-nearest output is byte-for-byte what onnxruntime's own quantizer writes
// (matmul_nbits_quantizer.py -> MLAS range2scalezp / range2scale in q4_dq.cpp): every step that
// MLAS does in float32 is rounded to float32 here too (Math.fround), and MLAS's roundf rounds
// halves away from zero. Changing the order of these operations changes bytes.
//
// Layout, with the weight given as Hugging Face stores it, [N outputs, K inputs] row-major:
// each row n is cut into kBlocks = ceil(K / blockSize) blocks along K, and
//   packed[n][b][i]  4-bit: q[2i] | q[2i+1] << 4;  8-bit: q[i]      (blob = blockSize*bits/8 bytes)
//   scales[n][b]     float32 (cast to the activation type by the caller)
//   zeroPoints       asymmetric only; 4-bit: [N, ceil(kBlocks/2)] two per byte, low nibble first,
//                    a missing last nibble = 8; 8-bit: [N, kBlocks]. Symmetric: absent, the
//                    runtime's default 2^(bits-1) is exact.
// Dequantized: w = (q - zp) * scale. Positions past K in the last block are stored as q = 0
// (for an odd K, onnxruntime may leave another value in the one nibble past K; it is never read).
// The loops themselves are in quantize-kernels.ts, so that worker threads can run them.
import type { KernelJob } from './quantize-kernels.ts';
import { valueCount, type WeightValues } from '../checkpoint/bf16-weight.ts';
import { defaultQuantizeThreads, kernelWeight, runKernelOnThreads, THREADED_MIN_VALUES } from './quantize-threads.ts';

export interface MatMulNBitsOptions {
  bits: 4 | 8;
  /** Power of two, at least 16 (MatMulNBits' own requirement). */
  blockSize: number;
  /** Symmetric: zero point fixed at 2^(bits-1), scale from the block's largest magnitude. */
  symmetric: boolean;
  /**
   * Per block, search a few candidate ranges (the full one and ranges shrunk to 95, 90 and 85 %),
   * each with its scale refitted by least squares, and keep the one with the least squared
   * reconstruction error (quantize-kernels.ts, searchBlockParams): clipping a few outliers buys
   * finer steps for everything else. The result is still plain MatMulNBits data. Off:
   * round-to-nearest, byte-exact with onnxruntime's quantizer. About 3x its time.
   */
  clipSearch?: boolean;
}

export interface QuantizedMatMulNBits {
  /** [N, kBlocks, blobSize]: MatMulNBits input B. */
  packed: Uint8Array;
  /** [N, kBlocks]: MatMulNBits input scales. */
  scales: Float32Array;
  /** MatMulNBits input zero_points (packed uint8), or null when symmetric. */
  zeroPoints: Uint8Array | null;
  kBlocks: number;
  blobSize: number;
}

export class QuantizationError extends Error {
  override name = 'QuantizationError';
}

function checkArguments(length: number, N: number, K: number, bits: number, blockSize: number): void {
  if (!Number.isInteger(N) || !Number.isInteger(K) || N <= 0 || K <= 0) {
    throw new QuantizationError(`MatMulNBits: N and K must be positive integers, got N=${N}, K=${K}`);
  }
  if (length !== N * K) {
    throw new QuantizationError(`MatMulNBits: a [${N}, ${K}] weight has ${N * K} values, got ${length}`);
  }
  if (bits !== 4 && bits !== 8) throw new QuantizationError(`MatMulNBits: bits must be 4 or 8, got ${bits}`);
  if (!Number.isInteger(blockSize) || blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) {
    throw new QuantizationError(`MatMulNBits: block size must be a power of two of at least 16, got ${blockSize}`);
  }
}

/** Bytes of the zero_points input per row: two 4-bit values or one 8-bit value per byte. */
function zeroPointBytesPerRow(kBlocks: number, bits: 4 | 8): number {
  return bits === 4 ? Math.ceil(kBlocks / 2) : kBlocks;
}

/** Shrink factors of the candidate ranges that clipSearch tries (quantize-kernels.ts), widest first so that ties keep the full range. */
const CLIP_FACTORS: readonly number[] = [1, 0.95, 0.9, 0.85];

/**
 * Quantizes a Hugging Face [N, K] weight into MatMulNBits' B, scales and zero_points inputs, on
 * up to `threads` threads (default: every core; quantize-threads.ts). The bytes do not depend on
 * the number of threads.
 */
export function quantizeMatMulNBits(weight: WeightValues, N: number, K: number, opts: MatMulNBitsOptions, threads = defaultQuantizeThreads()): QuantizedMatMulNBits {
  const { bits, blockSize, symmetric } = opts;
  const length = valueCount(weight);
  checkArguments(length, N, K, bits, blockSize);
  const kBlocks = Math.ceil(K / blockSize);
  const blobSize = (blockSize * bits) / 8;
  const job: KernelJob = {
    kernel: 'matMulNBits',
    ...kernelWeight(weight),
    firstRow: 0,
    K,
    bits,
    blockSize,
    symmetric,
    clipFactors: opts.clipSearch ? CLIP_FACTORS : null,
    packed: new Uint8Array(N * kBlocks * blobSize),
    scales: new Float32Array(N * kBlocks),
    zeroPoints: symmetric ? null : new Uint8Array(N * zeroPointBytesPerRow(kBlocks, bits)),
  };
  runKernelOnThreads(job, N, K, length >= THREADED_MIN_VALUES ? threads : 1);
  return { packed: job.packed, scales: job.scales, zeroPoints: job.zeroPoints, kBlocks, blobSize };
}

/** The float weight [N, K] that MatMulNBits computes with: w = (q - zp) * scale. */
export function dequantizeMatMulNBits(
  quantized: QuantizedMatMulNBits,
  N: number,
  K: number,
  opts: Pick<MatMulNBitsOptions, 'bits' | 'blockSize'>,
): Float32Array {
  const { bits, blockSize } = opts;
  const { packed, scales, zeroPoints, kBlocks, blobSize } = quantized;
  checkArguments(N * K, N, K, bits, blockSize);
  if (kBlocks !== Math.ceil(K / blockSize) || blobSize !== (blockSize * bits) / 8 || packed.length !== N * kBlocks * blobSize || scales.length !== N * kBlocks) {
    throw new QuantizationError(`MatMulNBits: the quantized data does not match N=${N}, K=${K}, bits=${bits}, block size ${blockSize}`);
  }
  const zpRow = zeroPointBytesPerRow(kBlocks, bits);
  if (zeroPoints && zeroPoints.length !== N * zpRow) {
    throw new QuantizationError(`MatMulNBits: zero points hold ${zeroPoints.length} bytes, expected ${N * zpRow}`);
  }
  const out = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < kBlocks; b++) {
      const scale = scales[n * kBlocks + b];
      let zeroPoint = 2 ** (bits - 1);
      if (zeroPoints) {
        const byte = zeroPoints[n * zpRow + (bits === 4 ? b >> 1 : b)];
        zeroPoint = bits === 4 ? (b % 2 === 0 ? byte & 0x0f : byte >> 4) : byte;
      }
      const blob = (n * kBlocks + b) * blobSize;
      const end = Math.min((b + 1) * blockSize, K);
      for (let k = b * blockSize; k < end; k++) {
        const i = k - b * blockSize;
        const q = bits === 4 ? (packed[blob + (i >> 1)] >> ((i & 1) * 4)) & 0x0f : packed[blob + i];
        out[n * K + k] = (q - zeroPoint) * scale;
      }
    }
  }
  return out;
}
