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

export interface MatMulNBitsOptions {
  bits: 4 | 8;
  /** Power of two, at least 16 (MatMulNBits' own requirement). */
  blockSize: number;
  /** Symmetric: zero point fixed at 2^(bits-1), scale from the block's largest magnitude. */
  symmetric: boolean;
  /**
   * Per block, also try ranges shrunk to 95%, 90%, ... 50% (each also with its scale refitted by
   * least squares) and keep the one with the least squared reconstruction error: clipping a few
   * outliers buys finer steps for everything else. The result is still plain MatMulNBits data.
   * Off: round-to-nearest, byte-exact with onnxruntime's quantizer. About 8x slower.
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

/** Shrink factors tried by clipSearch, widest first so that ties keep the full range. */
const CLIP_FACTORS = [1, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5];

/** C's roundf: halves go away from zero (Math.round sends -2.5 to -2). */
function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

interface BlockParams {
  scale: number;
  zeroPoint: number;
}

/** MLAS range2scalezp: asymmetric scale and zero point for a block whose values span [min, max]. */
function asymmetricParams(min: number, max: number, maxQ: number): BlockParams {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  const scale = Math.fround(Math.fround(hi - lo) / maxQ);
  let zeroPoint = 0;
  if (scale !== 0) {
    const zeroPointFloat = Math.fround(0 - Math.fround(lo / scale));
    zeroPoint = zeroPointFloat < 0 ? 0 : zeroPointFloat > maxQ ? maxQ : roundHalfAwayFromZero(zeroPointFloat);
  }
  return { scale, zeroPoint };
}

/** MLAS range2scale: symmetric scale from the block's value of largest magnitude (sign kept). */
function symmetricParams(min: number, max: number, mid: number): BlockParams {
  const extreme = Math.abs(max) > Math.abs(min) ? max : min;
  return { scale: Math.fround(extreme / -mid), zeroPoint: mid };
}

/** The quantized level of one value, as MLAS computes it. */
function quantizeValue(value: number, reciprocal: number, zeroPoint: number, maxQ: number): number {
  const q = roundHalfAwayFromZero(Math.fround(Math.fround(value * reciprocal) + zeroPoint));
  return q < 0 ? 0 : q > maxQ ? maxQ : q;
}

function reciprocalOf(scale: number): number {
  return scale !== 0 ? Math.fround(1 / scale) : 0;
}

interface ScoredCandidate {
  params: BlockParams;
  error: number;
}

/**
 * Ranks one candidate for clipSearch in a single pass over the block. Returns the candidate with
 * its squared reconstruction error, and the least-squares refit of its scale: with the levels
 * l = q - zp fixed, sum (v - l s)^2 is smallest at s = sum v l / sum l^2. The refit's error is
 * taken with the levels kept, an upper bound: quantizing again at the new scale picks each value's
 * nearest level, which can only do better. Plain double arithmetic is enough to rank candidates;
 * the chosen one is then quantized exactly.
 */
function scoreCandidate(weight: Float32Array, start: number, end: number, params: BlockParams, maxQ: number, sumSquares: number): [ScoredCandidate, ScoredCandidate] {
  const { scale, zeroPoint } = params;
  const reciprocal = scale !== 0 ? 1 / scale : 0;
  let dot = 0;
  let norm = 0;
  for (let k = start; k < end; k++) {
    const v = weight[k];
    const t = v * reciprocal + zeroPoint;
    const level = (t <= 0 ? 0 : t >= maxQ ? maxQ : Math.round(t)) - zeroPoint;
    dot += v * level;
    norm += level * level;
  }
  const refitScale = norm > 0 ? Math.fround(dot / norm) : scale;
  return [
    { params, error: sumSquares - 2 * scale * dot + scale * scale * norm },
    { params: { scale: refitScale, zeroPoint }, error: sumSquares - 2 * refitScale * dot + refitScale * refitScale * norm },
  ];
}

/** Scale and zero point for a block whose values span [min, max], that range shrunk by `factor`. */
function rangeParams(min: number, max: number, factor: number, symmetric: boolean, bits: 4 | 8): BlockParams {
  const lo = Math.fround(min * factor);
  const hi = Math.fround(max * factor);
  return symmetric ? symmetricParams(lo, hi, 2 ** (bits - 1)) : asymmetricParams(lo, hi, 2 ** bits - 1);
}

/** The block's parameters: onnxruntime's, or with clipSearch the best of the shrunk ranges. */
function chooseBlockParams(weight: Float32Array, start: number, end: number, opts: MatMulNBitsOptions): BlockParams {
  const { bits, symmetric } = opts;
  let min = Infinity;
  let max = -Infinity;
  let sumSquares = 0;
  for (let k = start; k < end; k++) {
    const v = weight[k];
    if (v < min) min = v;
    if (v > max) max = v;
    sumSquares += v * v;
  }
  if (!opts.clipSearch) return rangeParams(min, max, 1, symmetric, bits);
  let best: ScoredCandidate | null = null;
  for (const factor of CLIP_FACTORS) {
    for (const candidate of scoreCandidate(weight, start, end, rangeParams(min, max, factor, symmetric, bits), 2 ** bits - 1, sumSquares)) {
      if (best === null || candidate.error < best.error) best = candidate;
    }
  }
  return best!.params;
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

/** Quantizes a Hugging Face [N, K] weight into MatMulNBits' B, scales and zero_points inputs. */
export function quantizeMatMulNBits(weight: Float32Array, N: number, K: number, opts: MatMulNBitsOptions): QuantizedMatMulNBits {
  const { bits, blockSize, symmetric } = opts;
  checkArguments(weight.length, N, K, bits, blockSize);
  const maxQ = 2 ** bits - 1;
  const kBlocks = Math.ceil(K / blockSize);
  const blobSize = (blockSize * bits) / 8;
  const packed = new Uint8Array(N * kBlocks * blobSize);
  const scales = new Float32Array(N * kBlocks);
  const zpRow = zeroPointBytesPerRow(kBlocks, bits);
  // 4-bit: a missing odd nibble reads as 8, as onnxruntime writes it.
  const zeroPoints = symmetric ? null : new Uint8Array(N * zpRow).fill(bits === 4 ? 0x88 : 0);
  const levels = new Uint8Array(blockSize);

  for (let n = 0; n < N; n++) {
    for (let b = 0; b < kBlocks; b++) {
      const start = n * K + b * blockSize;
      const end = n * K + Math.min((b + 1) * blockSize, K);
      const params = chooseBlockParams(weight, start, end, opts);
      const reciprocal = reciprocalOf(params.scale);
      levels.fill(0); // positions past K stay 0, not the zero point
      for (let k = start; k < end; k++) levels[k - start] = quantizeValue(weight[k], reciprocal, params.zeroPoint, maxQ);
      const blob = (n * kBlocks + b) * blobSize;
      if (bits === 4) {
        for (let i = 0; i < blobSize; i++) packed[blob + i] = levels[2 * i] | (levels[2 * i + 1] << 4);
      } else {
        packed.set(levels, blob);
      }
      scales[n * kBlocks + b] = params.scale;
      if (zeroPoints) {
        if (bits === 4) {
          const byte = n * zpRow + (b >> 1);
          zeroPoints[byte] = b % 2 === 0 ? (zeroPoints[byte] & 0xf0) | params.zeroPoint : (zeroPoints[byte] & 0x0f) | (params.zeroPoint << 4);
        } else {
          zeroPoints[n * zpRow + b] = params.zeroPoint;
        }
      }
    }
  }
  return { packed, scales, zeroPoints, kBlocks, blobSize };
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
