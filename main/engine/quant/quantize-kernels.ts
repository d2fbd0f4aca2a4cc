// The quantizer's inner loops, written to run on any thread: quantize-threads.ts starts worker
// threads from these functions' source text, so each one may call only Math, typed arrays and the
// other functions of KERNEL_FUNCTIONS; none defines a closure (a compiler may wrap closures in
// helpers the workers lack) or reads a module constant (pass it as an argument instead), and none
// allocates per value. Every kernel quantizes a range of rows into arrays that hold the whole
// tensor or a slice of its rows (from `firstRow` on), and rows are independent: any split of the
// rows gives the same bytes.

/**
 * MatMulNBits (see matmul-nbits.ts for the layout and why each step is rounded to float32 as it
 * is): rows [rowStart, rowEnd) of a [N, K] weight into `packed`, `scales` and `zeroPoints`.
 * `weight` and the outputs hold the rows from `firstRow` on (the whole tensor when 0, or a slice of it).
 * `clipFactors` null: onnxruntime's round-to-nearest, byte-exact. Else, per block, the error-minimizing
 * search of searchBlockParams over the ranges shrunk by those factors.
 */
export function quantizeMatMulNBitsRows(
  weight: Float32Array,
  firstRow: number,
  K: number,
  bits: number,
  blockSize: number,
  symmetric: boolean,
  clipFactors: readonly number[] | null,
  rowStart: number,
  rowEnd: number,
  packed: Uint8Array,
  scales: Float32Array,
  zeroPoints: Uint8Array | null,
): void {
  const maxQ = bits === 4 ? 15 : 255;
  const mid = bits === 4 ? 8 : 128;
  const kBlocks = Math.ceil(K / blockSize);
  const blobSize = (blockSize * bits) / 8;
  const zpRow = bits === 4 ? Math.ceil(kBlocks / 2) : kBlocks;
  // The block's scale and zero point, as blockRangeParams and searchBlockParams leave them.
  const params = new Float64Array(2);
  for (let n = rowStart; n < rowEnd; n++) {
    const row = n - firstRow;
    // 4-bit: a missing odd nibble reads as 8, as onnxruntime writes it.
    if (zeroPoints && bits === 4) zeroPoints.fill(0x88, row * zpRow, (row + 1) * zpRow);
    for (let b = 0; b < kBlocks; b++) {
      const start = row * K + b * blockSize;
      const end = row * K + Math.min((b + 1) * blockSize, K);
      let min = Infinity;
      let max = -Infinity;
      for (let k = start; k < end; k++) {
        const v = weight[k];
        if (v < min) min = v;
        if (v > max) max = v;
      }
      blockRangeParams(min, max, 1, symmetric, maxQ, mid, params);
      if (clipFactors) searchBlockParams(weight, start, end, min, max, symmetric, maxQ, mid, clipFactors, params);
      const scale = params[0];
      const zeroPoint = params[1];
      // MLAS: q = roundf(fround(v * fround(1 / scale)) + zp) clamped; for t > 0, roundf(t) = floor(t + 0.5).
      const reciprocal = scale !== 0 ? Math.fround(1 / scale) : 0;
      const blob = (row * kBlocks + b) * blobSize;
      let dot = 0;
      let norm = 0;
      // Levels straight into the blob, two per byte at 4 bits (low nibble first); positions past K stay 0, not the zero point.
      const perByte = bits === 4 ? 2 : 1;
      for (let i = 0; i < blobSize; i++) {
        let byte = 0;
        for (let j = 0; j < perByte; j++) {
          const k = start + i * perByte + j;
          if (k >= end) break;
          const v = weight[k];
          const t = Math.fround(Math.fround(v * reciprocal) + zeroPoint);
          const q = t <= 0 ? 0 : t >= maxQ ? maxQ : (t + 0.5) | 0;
          byte |= q << (4 * j);
          dot += v * (q - zeroPoint);
          norm += (q - zeroPoint) * (q - zeroPoint);
        }
        packed[blob + i] = byte;
      }
      // The search stores the least-squares scale of these very levels (free: the sums came with
      // the levels), which can only lower the error; round-to-nearest keeps onnxruntime's.
      const storedScale = clipFactors && norm > 0 ? Math.fround(dot / norm) : scale;
      scales[row * kBlocks + b] = storedScale;
      if (zeroPoints) {
        if (bits === 4) {
          const byte = row * zpRow + (b >> 1);
          zeroPoints[byte] = b % 2 === 0 ? (zeroPoints[byte] & 0xf0) | zeroPoint : (zeroPoints[byte] & 0x0f) | (zeroPoint << 4);
        } else {
          zeroPoints[row * zpRow + b] = zeroPoint;
        }
      }
    }
  }
}

/**
 * onnxruntime's (MLAS's) scale and zero point for a block spanning [min, max], that range first
 * shrunk by `factor` (1: as onnxruntime computes them), into out[0] and out[1]. Symmetric
 * (range2scale): scale = the value of largest magnitude / -mid, sign kept, zero point mid.
 * Asymmetric (range2scalezp): the range widened to hold 0, scale = range / maxQ, zero point
 * roundf(-min / scale) clamped.
 */
export function blockRangeParams(min: number, max: number, factor: number, symmetric: boolean, maxQ: number, mid: number, out: Float64Array): void {
  const lo = Math.fround(min * factor);
  const hi = Math.fround(max * factor);
  if (symmetric) {
    out[0] = Math.fround((Math.abs(hi) > Math.abs(lo) ? hi : lo) / -mid);
    out[1] = mid;
    return;
  }
  const low = Math.min(lo, 0);
  const high = Math.max(hi, 0);
  const scale = Math.fround(Math.fround(high - low) / maxQ);
  let zeroPoint = 0;
  if (scale !== 0) {
    const zeroPointFloat = Math.fround(0 - Math.fround(low / scale));
    zeroPoint = zeroPointFloat < 0 ? 0 : zeroPointFloat > maxQ ? maxQ : Math.floor(zeroPointFloat + 0.5);
  }
  out[0] = scale;
  out[1] = zeroPoint;
}

/**
 * The error-minimizing search, in the manner of llama.cpp's make_qkx2_quants: a few candidate
 * ranges (shrunk by each of `clipFactors`: clipping a few outliers buys finer steps for everything
 * else), each ranked by its error with the scale refitted by least squares. With the levels
 * l = q - zp fixed, sum (v - l s)^2 is smallest at s = sum(v l) / sum(l^2), where it equals
 * sum(v^2) - sum(v l)^2 / sum(l^2): ranking needs only those two sums, gathered for four
 * candidates at once in one pass over the block.
 * The best candidate then takes two more steps (levels again at its refitted scale, scale refitted
 * again), each of which can only lower the error. Sums in double precision are enough to rank; the caller
 * quantizes at the chosen scale exactly, then stores the least-squares scale of those levels. Leaves out[] (round-to-nearest's parameters) as it is
 * for a block of zeros. The zero point stays an integer, as MatMulNBits needs.
 */
export function searchBlockParams(
  weight: Float32Array,
  start: number,
  end: number,
  min: number,
  max: number,
  symmetric: boolean,
  maxQ: number,
  mid: number,
  clipFactors: readonly number[],
  out: Float64Array,
): void {
  let bestScore = -1;
  let bestScale = 0;
  let bestZero = 0;
  // Four candidates per pass over the block (one load per value, eight independent sums in flight);
  // a group short of four repeats its last candidate.
  for (let c = 0; c < clipFactors.length; c += 4) {
    const last = clipFactors.length - 1;
    blockRangeParams(min, max, clipFactors[c], symmetric, maxQ, mid, out);
    const zeroA = out[1];
    const inverseA = out[0] !== 0 ? 1 / out[0] : 0;
    blockRangeParams(min, max, clipFactors[Math.min(c + 1, last)], symmetric, maxQ, mid, out);
    const zeroB = out[1];
    const inverseB = out[0] !== 0 ? 1 / out[0] : 0;
    blockRangeParams(min, max, clipFactors[Math.min(c + 2, last)], symmetric, maxQ, mid, out);
    const zeroC = out[1];
    const inverseC = out[0] !== 0 ? 1 / out[0] : 0;
    blockRangeParams(min, max, clipFactors[Math.min(c + 3, last)], symmetric, maxQ, mid, out);
    const zeroD = out[1];
    const inverseD = out[0] !== 0 ? 1 / out[0] : 0;
    let dotA = 0;
    let normA = 0;
    let dotB = 0;
    let normB = 0;
    let dotC = 0;
    let normC = 0;
    let dotD = 0;
    let normD = 0;
    for (let k = start; k < end; k++) {
      const v = weight[k];
      const levelA = Math.min(maxQ, Math.max(0, (v * inverseA + zeroA + 0.5) | 0)) - zeroA;
      const levelB = Math.min(maxQ, Math.max(0, (v * inverseB + zeroB + 0.5) | 0)) - zeroB;
      const levelC = Math.min(maxQ, Math.max(0, (v * inverseC + zeroC + 0.5) | 0)) - zeroC;
      const levelD = Math.min(maxQ, Math.max(0, (v * inverseD + zeroD + 0.5) | 0)) - zeroD;
      dotA += v * levelA;
      normA += levelA * levelA;
      dotB += v * levelB;
      normB += levelB * levelB;
      dotC += v * levelC;
      normC += levelC * levelC;
      dotD += v * levelD;
      normD += levelD * levelD;
    }
    // In candidate order, strictly better only, so that a tie keeps the wider range.
    if (normA > 0 && (dotA * dotA) / normA > bestScore) {
      bestScore = (dotA * dotA) / normA;
      bestScale = dotA / normA;
      bestZero = zeroA;
    }
    if (normB > 0 && (dotB * dotB) / normB > bestScore) {
      bestScore = (dotB * dotB) / normB;
      bestScale = dotB / normB;
      bestZero = zeroB;
    }
    if (normC > 0 && (dotC * dotC) / normC > bestScore) {
      bestScore = (dotC * dotC) / normC;
      bestScale = dotC / normC;
      bestZero = zeroC;
    }
    if (normD > 0 && (dotD * dotD) / normD > bestScore) {
      bestScore = (dotD * dotD) / normD;
      bestScale = dotD / normD;
      bestZero = zeroD;
    }
  }
  if (bestScore < 0) {
    blockRangeParams(min, max, 1, symmetric, maxQ, mid, out);
    return;
  }
  // Two refit steps, and the caller's refit of the final levels: on shakespeare-5m's int4 build,
  // NLL 3.335720 (the 11-range search this replaced: 3.336121; one step: 3.336419, none: 3.336512).
  for (let step = 0; step < 2; step++) {
    const inverse = 1 / bestScale;
    let dot = 0;
    let norm = 0;
    for (let k = start; k < end; k++) {
      const v = weight[k];
      const level = Math.min(maxQ, Math.max(0, (v * inverse + bestZero + 0.5) | 0)) - bestZero;
      dot += v * level;
      norm += level * level;
    }
    if (norm > 0) bestScale = dot / norm;
  }
  out[0] = Math.fround(bestScale);
  out[1] = bestZero;
}

/** Output channels handled together by quantizePerChannelInt8Rows, so that its transposed writes fill whole cache lines. */
export const PER_CHANNEL_TILE = 16;

/**
 * Symmetric int8 per output channel (see per-channel-int8.ts): rows [rowStart, rowEnd) of an HF
 * [out, in] weight into `quantized` ([in, columns]: column c holds row firstRow + c) and `scales`;
 * `weight` holds the rows from `firstRow` on (the whole tensor when 0 and columns = out).
 * Channels go in tiles of `tile`.
 */
export function quantizePerChannelInt8Rows(
  weight: Float32Array,
  firstRow: number,
  inFeatures: number,
  columns: number,
  rowStart: number,
  rowEnd: number,
  quantized: Int8Array,
  scales: Float32Array,
  tile: number,
): void {
  const divisors = new Float64Array(tile);
  for (let first = rowStart; first < rowEnd; first += tile) {
    const last = Math.min(first + tile, rowEnd);
    for (let n = first; n < last; n++) {
      let max = 0;
      const base = (n - firstRow) * inFeatures;
      for (let k = base; k < base + inFeatures; k++) max = Math.max(max, Math.abs(weight[k]));
      const scale = max / 127 || 1; // an all-zero row: any scale reproduces it
      divisors[n - first] = scale;
      scales[n - firstRow] = scale;
    }
    for (let k = 0; k < inFeatures; k++) {
      const row = k * columns - firstRow;
      for (let n = first; n < last; n++) quantized[row + n] = Math.round(weight[(n - firstRow) * inFeatures + k] / divisors[n - first]);
    }
  }
}

/**
 * Rows [rowStart, rowEnd) of a bfloat16 weight widened into float32 (exactly: the bits shifted into
 * the high half), both holding the rows from `firstRow` on, `rowLength` values each. A build reads
 * BF16 checkpoints (checkpoint/bf16-weight.ts) and each thread widens the rows it quantizes, so the
 * calling thread neither widens the tensor nor allocates a float32 copy of it.
 */
export function widenBf16Rows(bits: Uint16Array, weight: Float32Array, firstRow: number, rowLength: number, rowStart: number, rowEnd: number): void {
  const out = new Int32Array(weight.buffer, weight.byteOffset, weight.length);
  const end = (rowEnd - firstRow) * rowLength;
  for (let i = (rowStart - firstRow) * rowLength; i < end; i++) out[i] = bits[i] << 16;
}

/**
 * One kernel call over rows [rowStart, rowEnd), as quantize-threads.ts hands it to a thread. With
 * `weightBf16` set, `weight` is only a place for those rows: runKernel widens them into it first.
 */
export type KernelJob =
  | {
      kernel: 'matMulNBits';
      weight: Float32Array;
      weightBf16?: Uint16Array | null;
      /** The row that weight[0] and the outputs' first entries belong to. */
      firstRow: number;
      K: number;
      bits: number;
      blockSize: number;
      symmetric: boolean;
      clipFactors: readonly number[] | null;
      packed: Uint8Array;
      scales: Float32Array;
      zeroPoints: Uint8Array | null;
    }
  | { kernel: 'perChannelInt8'; weight: Float32Array; weightBf16?: Uint16Array | null; firstRow: number; inFeatures: number; columns: number; quantized: Int8Array; scales: Float32Array; tile: number };

export function runKernel(job: KernelJob, rowStart: number, rowEnd: number): void {
  if (job.weightBf16) widenBf16Rows(job.weightBf16, job.weight, job.firstRow, job.kernel === 'matMulNBits' ? job.K : job.inFeatures, rowStart, rowEnd);
  if (job.kernel === 'matMulNBits') {
    quantizeMatMulNBitsRows(job.weight, job.firstRow, job.K, job.bits, job.blockSize, job.symmetric, job.clipFactors, rowStart, rowEnd, job.packed, job.scales, job.zeroPoints);
  } else {
    quantizePerChannelInt8Rows(job.weight, job.firstRow, job.inFeatures, job.columns, rowStart, rowEnd, job.quantized, job.scales, job.tile);
  }
}

/** Every function a worker thread needs, for quantize-threads.ts to send as source text. */
export const KERNEL_FUNCTIONS = [quantizeMatMulNBitsRows, blockRangeParams, searchBlockParams, quantizePerChannelInt8Rows, widenBf16Rows, runKernel] as const;
