// A ggml weight, as a GGUF file stores it, rewritten as onnxruntime MatMulNBits inputs without
// requantizing: every ggml block keeps its integer levels, and its scale (and offset) become the
// MatMulNBits block's scale and zero point. MatMulNBits computes w = (q - zp)·scale.
//
// A ggml weight of `rows` × `cols` is stored row by row, one ggml row per output (ne[0] = cols =
// the input size K, ne[1] = rows = N), which is exactly MatMulNBits' [N, K] layout; only the
// packing inside a block differs (ggml puts value j and j+16 in one byte, MatMulNBits 2i and 2i+1).
//
//   type   bits block zero point                          exact?
//   Q4_0     4    32  8 (default)                         yes: (q - 8)·d
//   Q8_0     8    32  128 (default)                       yes: q stored as q + 128
//   Q5_0     8    32  16 (uint8)                          yes: the 5-bit level in an 8-bit slot
//   Q6_K     8    16  32 (uint8)                          yes: scale = fround(d·sc), as ggml rounds it
//   Q4_1     4    32  0 (uint8) + block offset -m         yes (float zero point: see below)
//   Q5_1     8    32  0 (uint8) + block offset -m         yes
//   Q4_K     4    32  0 (uint8) + block offset m'         yes: scale d' = fround(d·sc), m' = fround(dmin·m)
//   Q5_K     8    32  0 (uint8) + block offset m'         yes
// The block offset t is what ggml subtracts: it decodes the offset formats as fround(q·d) - t.
// The other route, { offsets: 'float-zero-point' }, is the layout the issue first asked for: the
// offset as MatMulNBits' float zero point, in one node. onnxruntime 1.30 computes a
// float zero point as fround(q·scale) - fround(zp·scale) (found by running it on one-hot inputs).
// q·d is exact in float32 (d has at most 17 significant bits), so the two agree exactly when
// fround(zp·d) = t, and zeroPointFor picks such a zp. When d·ulp(zp) is wider than ulp(t) some
// t have no such zp; those blocks (9.1% of the Q4_K blocks in the Q4_K_M fixture, 9.0% of its
// values) come out within 1 ulp of the offset. The levels and scales themselves are the file's.
// A block whose scale is 0 (every value = -t) is written as level 0, zero point -1, scale -t:
// exact.
//
// That float zero point is slow: onnxruntime 1.30's CPU kernel
// dequantizes the whole weight on every call for it (4.4 ms against 0.135 ms for uint8 zero points
// on an 896→4864 MLP matmul at M=1, scripts/bench-ggml-zero-points.ts), and refuses it with 8 bits.
// So the default is the exact route instead ('block-offsets'): the levels go in with zero point 0
// and scale d', giving fround(q·d') exactly, and each block's t is kept beside them in
// `blockOffsets`; the graph subtracts blocksum_b(A)·t with one small MatMul (emitGgmlMatMulNBits).
// Every weight is then the file's bit for bit, for 4 and 8 bits alike, at +20% time at M=1.
//
// The scales are float32. A graph that runs with float16 scales would round d·sc, which is exact
// only for Q4_0, Q8_0 and Q5_0 (whose scale is the file's own half).

import { half, q6kLevels, scaleAndMin } from './ggml-dequantize.ts';
import { GGML_TYPES, ggmlByteLength } from './ggml-type.ts';
import type { GgmlType } from './ggml-type.ts';

const fround = Math.fround;

export interface GgmlMatMulNBits {
  bits: 4 | 8;
  blockSize: 16 | 32;
  /** K / blockSize. */
  kBlocks: number;
  /** blockSize·bits/8: bytes per block in `packed`. */
  blobSize: number;
  /** [N, kBlocks, blobSize]: input B. */
  packed: Uint8Array;
  /** [N, kBlocks]: input scales. */
  scales: Float32Array;
  /**
   * Input zero_points: uint8 ([N, kBlocks] for 8 bits; 4 bits never needs one here), float in
   * the scales' type ([N, kBlocks]), or absent when the default 2^(bits-1) is the zero point.
   */
  zeroPoints: { type: 'uint8'; data: Uint8Array } | { type: 'float'; data: Float32Array } | null;
  /**
   * [N, kBlocks] or null: a value t per block that every weight of the block has subtracted,
   * w = (q - zp)·scale - t, which the graph applies as y -= blocksum(A)·tᵀ. Only in the
   * 'block-offsets' route, for the formats with an offset (Q4_1, Q5_1, Q4_K, Q5_K).
   */
  blockOffsets: Float32Array | null;
  /**
   * The k-quants (Q4_K, Q5_K, Q6_K) as ggml stores their scales: a float16 factor per super-block
   * of 256 values times a small integer per block, scale[n][b] = fround(superScale·multiplier),
   * and likewise the block offsets (Q4_K, Q5_K in the 'block-offsets' route). Each product is exact in
   * float32 (11 by at most 8 significant bits), so a graph may store the factors (about ggml's own
   * size) and multiply them back instead of storing `scales`. null for the other types.
   */
  factored: GgmlFactoredScales | null;
}

export interface GgmlFactoredScales {
  /** Blocks per super-block: 256 / blockSize. */
  group: number;
  /** [N, kBlocks / group], float16 values. */
  superScales: Float32Array;
  /** [N, kBlocks]. */
  multipliers: Int8Array;
  /** [N, kBlocks / group], float16 values, or null where there are no block offsets. */
  superOffsets: Float32Array | null;
  /** [N, kBlocks] (0..63), or null. */
  offsetMultipliers: Int8Array | null;
}

/**
 * How an offset format's offset is kept: as a float zero point (one MatMulNBits; 4 bits only on
 * onnxruntime 1.30's CPU, slow, ~9% of blocks 1 ulp off) or beside the weights (exact, fast).
 */
export type GgmlOffsetRoute = 'float-zero-point' | 'block-offsets';

export class GgmlMatMulNBitsError extends Error {
  override name = 'GgmlMatMulNBitsError';
}

type ZeroPointLayout = 'none' | 'uint8' | 'float' | 'zero';

/** Where the MatMulNBits arrays are written while walking the ggml blocks in order. */
class Writer {
  readonly packed: Uint8Array;
  readonly scales: Float32Array;
  /** Per block: uint8 (8 bits only) or float; for 'zero', the packed all-zero input. */
  readonly zeroPoints: Float32Array | Uint8Array | null;
  readonly blockOffsets: Float32Array | null;
  private block = 0;

  constructor(
    readonly bits: 4 | 8,
    readonly blockSize: 16 | 32,
    rows: number,
    kBlocks: number,
    readonly zeroPointLayout: ZeroPointLayout,
  ) {
    const blocks = rows * kBlocks;
    this.packed = new Uint8Array((blocks * blockSize * bits) / 8);
    this.scales = new Float32Array(blocks);
    this.zeroPoints =
      zeroPointLayout === 'none'
        ? null
        : zeroPointLayout === 'uint8'
          ? new Uint8Array(blocks)
          : zeroPointLayout === 'float'
            ? new Float32Array(blocks)
            : new Uint8Array(zeroPointLength(zeroPointLayout, bits, rows, kBlocks));
    this.blockOffsets = zeroPointLayout === 'zero' ? new Float32Array(blocks) : null;
  }

  /** One MatMulNBits block from its levels (0..2^bits-1), scale and zero point. */
  write(levels: Uint8Array, scale: number, zeroPoint: number): void {
    const b = this.block++;
    if (this.bits === 4) {
      const blob = b * (this.blockSize / 2);
      for (let i = 0; i < this.blockSize / 2; i++) this.packed[blob + i] = levels[2 * i] | (levels[2 * i + 1] << 4);
    } else {
      this.packed.set(levels.subarray(0, this.blockSize), b * this.blockSize);
    }
    this.scales[b] = scale;
    if (this.zeroPointLayout === 'uint8' || this.zeroPointLayout === 'float') this.zeroPoints![b] = zeroPoint;
  }

  /**
   * A block that ggml decodes as fround(q·scale) - subtrahend.
   * Block offsets: zero point 0 (q·scale is exact) and the subtrahend kept for the graph.
   * Float zero point: the zp whose product with the scale rounds to the subtrahend, which
   * onnxruntime then subtracts the same way. With a scale of 0 every value is -subtrahend: level
   * 0, zero point -1, scale -subtrahend (+ 0, so that a zero offset gives +0 as ggml does).
   */
  writeWithSubtrahend(levels: Uint8Array, scale: number, subtrahend: number): void {
    if (this.blockOffsets) {
      this.blockOffsets[this.block] = subtrahend;
      this.write(levels, scale, 0);
    } else if (scale === 0) {
      levels.fill(0, 0, this.blockSize);
      this.write(levels, -subtrahend + 0, -1);
    } else {
      this.write(levels, scale, zeroPointFor(scale, subtrahend));
    }
  }
}

/** Bytes of a layout's uint8 zero points ('zero': all zeros, packed two to a byte at 4 bits); 0 where there are none or they are float. */
function zeroPointLength(layout: ZeroPointLayout, bits: 4 | 8, rows: number, kBlocks: number): number {
  if (layout === 'uint8') return rows * kBlocks;
  if (layout === 'zero') return bits === 4 ? rows * Math.ceil(kBlocks / 2) : rows * kBlocks;
  return 0;
}

/** Collects a k-quant's super-block factors and block multipliers, in the blocks' order. */
class FactorWriter {
  private readonly superScales: Float32Array;
  private readonly multipliers: Int8Array;
  private readonly superOffsets: Float32Array | null;
  private readonly offsetMultipliers: Int8Array | null;

  constructor(
    superBlocks: number,
    private readonly group: number,
    offsets: boolean,
  ) {
    this.superScales = new Float32Array(superBlocks);
    this.multipliers = new Int8Array(superBlocks * group);
    this.superOffsets = offsets ? new Float32Array(superBlocks) : null;
    this.offsetMultipliers = offsets ? new Int8Array(superBlocks * group) : null;
  }

  record(superBlock: number, sub: number, d: number, multiplier: number, dmin: number, offsetMultiplier: number): void {
    this.superScales[superBlock] = d;
    this.multipliers[superBlock * this.group + sub] = multiplier;
    if (this.superOffsets) {
      this.superOffsets[superBlock] = dmin;
      this.offsetMultipliers![superBlock * this.group + sub] = offsetMultiplier;
    }
  }

  result(): GgmlFactoredScales {
    const { group, superScales, multipliers, superOffsets, offsetMultipliers } = this;
    return { group, superScales, multipliers, superOffsets, offsetMultipliers };
  }
}

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** The float32 `steps` representable values away from x (toward +∞ for positive steps). */
function floatSteps(x: number, steps: number): number {
  f32[0] = x;
  if (x === 0) return steps === 0 ? x : Math.sign(steps) * 2 ** -149 * Math.abs(steps);
  i32[0] += x > 0 ? steps : -steps;
  return f32[0];
}

/**
 * A float32 zero point zp with fround(zp·scale) = subtrahend when one exists near subtrahend/scale
 * (it almost always does: the scale has at most 17 significant bits); otherwise the rounded
 * quotient, whose product is within an ulp of the subtrahend.
 */
export function zeroPointFor(scale: number, subtrahend: number): number {
  const quotient = fround(subtrahend / scale);
  for (const steps of [0, 1, -1, 2, -2, 3, -3]) {
    const zp = floatSteps(quotient, steps);
    if (fround(zp * scale) === subtrahend) return zp;
  }
  return quotient;
}

/** The 32 levels of a Q4/Q5 32-value block: value j from the low nibble of qs[j], j+16 from the high. */
function legacyLevels(bytes: Uint8Array, qs: number, qh: number | null, levels: Uint8Array): void {
  const high = qh === null ? 0 : (bytes[qh] | (bytes[qh + 1] << 8) | (bytes[qh + 2] << 16) | (bytes[qh + 3] << 24)) >>> 0;
  for (let j = 0; j < 16; j++) {
    levels[j] = (bytes[qs + j] & 0x0f) | (qh === null ? 0 : ((high >>> j) & 1) << 4);
    levels[j + 16] = (bytes[qs + j] >> 4) | (qh === null ? 0 : ((high >>> (j + 16)) & 1) << 4);
  }
}

function convertLegacy(type: 2 | 3 | 6 | 7 | 8, bytes: Uint8Array, blocks: number, w: Writer): void {
  const { blockBytes } = GGML_TYPES[type];
  const levels = new Uint8Array(32);
  for (let b = 0; b < blocks; b++) {
    const o = b * blockBytes;
    const d = half(bytes, o);
    switch (type) {
      case 2: // Q4_0
        legacyLevels(bytes, o + 2, null, levels);
        w.write(levels, d, 8);
        break;
      case 3: // Q4_1
        legacyLevels(bytes, o + 4, null, levels);
        w.writeWithSubtrahend(levels, d, -half(bytes, o + 2));
        break;
      case 6: // Q5_0
        legacyLevels(bytes, o + 6, o + 2, levels);
        w.write(levels, d, 16);
        break;
      case 7: // Q5_1
        legacyLevels(bytes, o + 8, o + 4, levels);
        w.writeWithSubtrahend(levels, d, -half(bytes, o + 2));
        break;
      case 8: // Q8_0: int8 q as the unsigned q + 128
        for (let j = 0; j < 32; j++) levels[j] = bytes[o + 2 + j] ^ 0x80;
        w.write(levels, d, 128);
        break;
    }
  }
}

/** Q4_K and Q5_K: each 32-value sub-block becomes one MatMulNBits block. */
function convertKQuant(bytes: Uint8Array, blocks: number, fiveBit: boolean, w: Writer, factors: FactorWriter | null): void {
  const blockBytes = fiveBit ? 176 : 144;
  const levels = new Uint8Array(32);
  for (let b = 0; b < blocks; b++) {
    const o = b * blockBytes;
    const d = half(bytes, o);
    const dmin = half(bytes, o + 2);
    const qs = o + (fiveBit ? 48 : 16);
    for (let sub = 0; sub < 8; sub++) {
      const { scale, min } = scaleAndMin(bytes, o + 4, sub);
      factors?.record(b, sub, d, scale, dmin, min);
      const shift = (sub & 1) * 4;
      for (let j = 0; j < 32; j++) {
        levels[j] = (bytes[qs + 32 * (sub >> 1) + j] >> shift) & 0x0f;
        if (fiveBit) levels[j] |= ((bytes[o + 16 + j] >> sub) & 1) << 4;
      }
      // ggml: fround(d·sc)·q - fround(dmin·m).
      w.writeWithSubtrahend(levels, fround(d * scale), fround(dmin * min));
    }
  }
}

/** Q6_K: each 16-value sub-block becomes one 8-bit MatMulNBits block with zero point 32. */
function convertQ6K(bytes: Uint8Array, blocks: number, w: Writer, factors: FactorWriter): void {
  const levels = new Uint8Array(256);
  for (let b = 0; b < blocks; b++) {
    const o = b * 210;
    const d = half(bytes, o + 208);
    q6kLevels(bytes, o, levels);
    for (let sub = 0; sub < 16; sub++) {
      const sc = (bytes[o + 192 + sub] << 24) >> 24;
      factors.record(b, sub, d, sc, 0, 0);
      w.write(levels.subarray(16 * sub, 16 * sub + 16), fround(d * sc), 32);
    }
  }
}

/** How each quantized ggml type is laid out in MatMulNBits. */
const LAYOUTS = {
  2: { bits: 4, blockSize: 32, zeroPoints: 'none' }, // Q4_0
  3: { bits: 4, blockSize: 32, zeroPoints: 'float' }, // Q4_1
  6: { bits: 8, blockSize: 32, zeroPoints: 'uint8' }, // Q5_0
  7: { bits: 8, blockSize: 32, zeroPoints: 'float' }, // Q5_1
  8: { bits: 8, blockSize: 32, zeroPoints: 'none' }, // Q8_0
  12: { bits: 4, blockSize: 32, zeroPoints: 'float' }, // Q4_K
  13: { bits: 8, blockSize: 32, zeroPoints: 'float' }, // Q5_K
  14: { bits: 8, blockSize: 16, zeroPoints: 'uint8' }, // Q6_K
} as const;

export type GgmlBlockType = keyof typeof LAYOUTS;

/** Whether a ggml type is block-quantized (and so maps onto MatMulNBits) rather than float. */
export function isGgmlBlockType(type: GgmlType): type is GgmlBlockType {
  return Object.hasOwn(LAYOUTS, type);
}

/** The zero points a type gets in a route: an offset format's float zero point becomes all-zero uint8 ones beside block offsets. */
function zeroPointLayoutOf(type: GgmlBlockType, offsets: GgmlOffsetRoute): ZeroPointLayout {
  const { zeroPoints } = LAYOUTS[type];
  return zeroPoints === 'float' && offsets === 'block-offsets' ? 'zero' : zeroPoints;
}

/** Factors only where every scale is the product (the float-zero-point route rewrites zero-scale blocks). */
function hasFactoredScales(type: GgmlBlockType, offsets: GgmlOffsetRoute): boolean {
  return type === 14 || ((type === 12 || type === 13) && offsets === 'block-offsets');
}

/**
 * The sizes of the arrays ggmlToMatMulNBits returns for a type and shape, from the same layout
 * rules, without reading any blocks: what the memory planner needs of a weight kept as downloaded.
 */
export interface GgmlMatMulNBitsShape {
  bits: 4 | 8;
  blockSize: 16 | 32;
  kBlocks: number;
  blobSize: number;
  /** Bytes of the uint8 zero points (0 where there are none). */
  zeroPointBytes: number;
  /** Whether there are float zero points ([N, kBlocks] in the scales' type). */
  floatZeroPoints: boolean;
  /** Whether `blockOffsets` is set. */
  blockOffsets: boolean;
  /** Blocks per super-block where `factored` is set, else null. */
  factoredGroup: number | null;
}

export function ggmlMatMulNBitsShape(type: GgmlBlockType, rows: number, cols: number, { offsets = 'block-offsets' }: { offsets?: GgmlOffsetRoute } = {}): GgmlMatMulNBitsShape {
  const { bits, blockSize } = LAYOUTS[type];
  const kBlocks = cols / blockSize;
  const layout = zeroPointLayoutOf(type, offsets);
  return {
    bits,
    blockSize,
    kBlocks,
    blobSize: (blockSize * bits) / 8,
    zeroPointBytes: zeroPointLength(layout, bits, rows, kBlocks),
    floatZeroPoints: layout === 'float',
    blockOffsets: layout === 'zero',
    factoredGroup: hasFactoredScales(type, offsets) ? 256 / blockSize : null,
  };
}

/**
 * The MatMulNBits inputs for a ggml weight of `rows` outputs × `cols` inputs.
 * F32, F16 and BF16 have no blocks to keep: read them with dequantizeGgml.
 */
export function ggmlToMatMulNBits(
  type: GgmlType,
  bytes: Uint8Array,
  rows: number,
  cols: number,
  { offsets = 'block-offsets' }: { offsets?: GgmlOffsetRoute } = {},
): GgmlMatMulNBits {
  const { name, blockValues } = GGML_TYPES[type];
  if (!isGgmlBlockType(type)) {
    throw new GgmlMatMulNBitsError(`${name} is a float type with no blocks to keep; read it with dequantizeGgml.`);
  }
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows <= 0 || cols <= 0) {
    throw new GgmlMatMulNBitsError(`A weight needs a positive whole number of rows and columns, got ${rows} × ${cols}.`);
  }
  if (cols % blockValues !== 0) {
    throw new GgmlMatMulNBitsError(`A ${name} row holds whole blocks of ${blockValues} values; ${cols} columns are not.`);
  }
  const length = ggmlByteLength(type, rows * cols);
  if (bytes.length < length) {
    throw new GgmlMatMulNBitsError(`${rows} × ${cols} ${name} values need ${length} bytes, got ${bytes.length}.`);
  }
  const { bits, blockSize } = LAYOUTS[type];
  const kBlocks = cols / blockSize;
  const w = new Writer(bits, blockSize, rows, kBlocks, zeroPointLayoutOf(type, offsets));
  const ggmlBlocks = (rows * cols) / blockValues;
  const factors = hasFactoredScales(type, offsets) ? new FactorWriter(ggmlBlocks, 256 / blockSize, type !== 14) : null;
  if (type === 12 || type === 13) convertKQuant(bytes, ggmlBlocks, type === 13, w, factors);
  else if (type === 14) convertQ6K(bytes, ggmlBlocks, w, factors!);
  else convertLegacy(type, bytes, ggmlBlocks, w);
  return {
    bits,
    blockSize,
    kBlocks,
    blobSize: (blockSize * bits) / 8,
    packed: w.packed,
    scales: w.scales,
    zeroPoints:
      w.zeroPoints === null ? null : w.zeroPoints instanceof Float32Array ? { type: 'float', data: w.zeroPoints } : { type: 'uint8', data: w.zeroPoints },
    blockOffsets: w.blockOffsets,
    factored: factors?.result() ?? null,
  };
}

/**
 * The [N, K] float32 weight MatMulNBits computes with, as onnxruntime 1.30's CPU kernel does
 * (found by running it on one-hot inputs, at accuracy levels 0, 1 and 4 alike): with a float zero
 * point w = fround(q·scale) - fround(zp·scale); with an integer one w = (q - zp)·scale. Block
 * offsets, where present, are then subtracted.
 */
export function dequantizeGgmlMatMulNBits(m: GgmlMatMulNBits, N: number, K: number): Float32Array {
  const { bits, blockSize, kBlocks, blobSize, packed, scales, zeroPoints, blockOffsets } = m;
  const out = new Float32Array(N * K);
  const zeroPointBytesPerRow = bits === 4 ? Math.ceil(kBlocks / 2) : kBlocks;
  for (let block = 0; block < N * kBlocks; block++) {
    const scale = scales[block];
    let zp = 2 ** (bits - 1);
    if (zeroPoints?.type === 'float') zp = zeroPoints.data[block];
    else if (zeroPoints && bits === 8) zp = zeroPoints.data[block];
    else if (zeroPoints) {
      const b = block % kBlocks;
      const byte = zeroPoints.data[Math.floor(block / kBlocks) * zeroPointBytesPerRow + (b >> 1)];
      zp = b % 2 === 0 ? byte & 0x0f : byte >> 4;
    }
    const t = blockOffsets ? blockOffsets[block] : 0;
    const blob = block * blobSize;
    for (let i = 0; i < blockSize; i++) {
      const q = bits === 4 ? (packed[blob + (i >> 1)] >> ((i & 1) * 4)) & 0x0f : packed[blob + i];
      const w = zeroPoints?.type === 'float' ? fround(q * scale) - fround(zp * scale) : fround((q - zp) * scale);
      out[block * blockSize + i] = blockOffsets ? w - t : w;
    }
  }
  return out;
}
