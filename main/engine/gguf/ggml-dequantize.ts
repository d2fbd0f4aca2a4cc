// ggml's block formats decoded to float32, written from the block layouts in ggml-common.h and the
// reference decoders in ggml-quants.c. This is the yardstick every other reading of a GGUF weight
// (the MatMulNBits mapping, the quantized embedding table) is checked against bit for bit, so each
// decoder rounds to float32 where ggml's C does (Math.fround after every float operation, in C's
// order) and never fuses a multiply and an add.
//
// Layouts (all little-endian; "half" is an IEEE float16; values per block in brackets):
//   Q4_0 [32]  d:half, qs[16]                  v = (q - 8)·d
//   Q4_1 [32]  d:half, m:half, qs[16]          v = q·d + m
//   Q5_0 [32]  d:half, qh:u32, qs[16]          v = (q - 16)·d, q = nibble | (bit of qh) << 4
//   Q5_1 [32]  d:half, m:half, qh:u32, qs[16]  v = q·d + m
//   Q8_0 [32]  d:half, qs:int8[32]             v = q·d
//   The 32-value formats put value j in the low nibble of qs[j] and value j+16 in its high nibble;
//   the fifth bit of value j is bit j of qh.
//   Q4_K [256] d:half, dmin:half, scales[12], qs[128]
//   Q5_K [256] d:half, dmin:half, scales[12], qh[32], qs[128]
//     8 sub-blocks of 32, each with a 6-bit scale sc and 6-bit min m (see scaleAndMin):
//     v = (d·sc)·q - (dmin·m). Each 64 values share 32 bytes of qs: the first 32 are the low
//     nibbles, the next 32 the high nibbles. Q5_K's fifth bit of value 64c+j is bit 2c of qh[j],
//     of value 64c+32+j bit 2c+1.
//   Q6_K [256] ql[128], qh[64], scales:int8[16], d:half
//     16 sub-blocks of 16 with an 8-bit signed scale: v = (d·sc)·(q - 32). Each 128 values use 64
//     bytes of ql and 32 of qh: value 128h+32i+j has its low 4 bits in ql[64h + 32(i&1) + j]
//     (low nibble for i < 2, high for i ≥ 2) and its top 2 bits at bit 2i of qh[32h + j].

import { bfloat16BitsToFloat32, float16BitsToFloat32 } from '../checkpoint/float16.ts';
import { GGML_TYPES, ggmlByteLength } from './ggml-type.ts';
import type { GgmlType } from './ggml-type.ts';

const fround = Math.fround;

let halfTable: Float32Array | null = null;

/** The little-endian half at byte `offset`, as float32 (through a table of all 65536 halves, built once). */
export function half(bytes: Uint8Array, offset: number): number {
  halfTable ??= float16BitsToFloat32(Uint16Array.from({ length: 65536 }, (_, bits) => bits));
  return halfTable[bytes[offset] | (bytes[offset + 1] << 8)];
}

/**
 * The 6-bit scale and min of k-quant sub-block j (0..7) from the 12 packed scale bytes:
 * sub-blocks 0-3 keep theirs in the low 6 bits of bytes j (scale) and j+4 (min); sub-blocks 4-7
 * keep their low 4 bits in the nibbles of byte j+4 and their top 2 bits in the spare top bits of
 * bytes j-4 (scale) and j (min).
 */
export function scaleAndMin(scales: Uint8Array, offset: number, j: number): { scale: number; min: number } {
  const q = (i: number) => scales[offset + i];
  if (j < 4) return { scale: q(j) & 63, min: q(j + 4) & 63 };
  return { scale: (q(j + 4) & 0x0f) | ((q(j - 4) >> 6) << 4), min: (q(j + 4) >> 4) | ((q(j) >> 6) << 4) };
}

function decodeQ4_0(bytes: Uint8Array, out: Float32Array, blocks: number): void {
  for (let b = 0; b < blocks; b++) {
    const o = b * 18;
    const d = half(bytes, o);
    for (let j = 0; j < 16; j++) {
      const byte = bytes[o + 2 + j];
      out[b * 32 + j] = ((byte & 0x0f) - 8) * d;
      out[b * 32 + j + 16] = ((byte >> 4) - 8) * d;
    }
  }
}

function decodeQ4_1(bytes: Uint8Array, out: Float32Array, blocks: number): void {
  for (let b = 0; b < blocks; b++) {
    const o = b * 20;
    const d = half(bytes, o);
    const m = half(bytes, o + 2);
    for (let j = 0; j < 16; j++) {
      const byte = bytes[o + 4 + j];
      out[b * 32 + j] = fround((byte & 0x0f) * d) + m;
      out[b * 32 + j + 16] = fround((byte >> 4) * d) + m;
    }
  }
}

function fifthBits(bytes: Uint8Array, o: number): number {
  return (bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16) | (bytes[o + 3] << 24)) >>> 0;
}

function decodeQ5_0(bytes: Uint8Array, out: Float32Array, blocks: number): void {
  for (let b = 0; b < blocks; b++) {
    const o = b * 22;
    const d = half(bytes, o);
    const qh = fifthBits(bytes, o + 2);
    for (let j = 0; j < 16; j++) {
      const byte = bytes[o + 6 + j];
      const q0 = (byte & 0x0f) | (((qh >>> j) & 1) << 4);
      const q1 = (byte >> 4) | (((qh >>> (j + 16)) & 1) << 4);
      out[b * 32 + j] = (q0 - 16) * d;
      out[b * 32 + j + 16] = (q1 - 16) * d;
    }
  }
}

function decodeQ5_1(bytes: Uint8Array, out: Float32Array, blocks: number): void {
  for (let b = 0; b < blocks; b++) {
    const o = b * 24;
    const d = half(bytes, o);
    const m = half(bytes, o + 2);
    const qh = fifthBits(bytes, o + 4);
    for (let j = 0; j < 16; j++) {
      const byte = bytes[o + 8 + j];
      const q0 = (byte & 0x0f) | (((qh >>> j) & 1) << 4);
      const q1 = (byte >> 4) | (((qh >>> (j + 16)) & 1) << 4);
      out[b * 32 + j] = fround(q0 * d) + m;
      out[b * 32 + j + 16] = fround(q1 * d) + m;
    }
  }
}

function decodeQ8_0(bytes: Uint8Array, out: Float32Array, blocks: number): void {
  for (let b = 0; b < blocks; b++) {
    const o = b * 34;
    const d = half(bytes, o);
    for (let j = 0; j < 32; j++) out[b * 32 + j] = ((bytes[o + 2 + j] << 24) >> 24) * d;
  }
}

/** Q4_K and Q5_K: 8 sub-blocks of 32 with 6-bit scales and mins; Q5_K adds a fifth bit from qh. */
function decodeKQuant(bytes: Uint8Array, out: Float32Array, blocks: number, fiveBit: boolean): void {
  const blockBytes = fiveBit ? 176 : 144;
  for (let b = 0; b < blocks; b++) {
    const o = b * blockBytes;
    const d = half(bytes, o);
    const dmin = half(bytes, o + 2);
    const qh = o + 16;
    const qs = o + (fiveBit ? 48 : 16);
    for (let c = 0; c < 4; c++) {
      for (let half32 = 0; half32 < 2; half32++) {
        const sub = 2 * c + half32;
        const { scale, min } = scaleAndMin(bytes, o + 4, sub);
        const d1 = fround(d * scale);
        const m1 = fround(dmin * min);
        for (let j = 0; j < 32; j++) {
          const byte = bytes[qs + 32 * c + j];
          let q = half32 === 0 ? byte & 0x0f : byte >> 4;
          if (fiveBit) q |= ((bytes[qh + j] >> sub) & 1) << 4;
          out[b * 256 + 32 * sub + j] = fround(d1 * q) - m1;
        }
      }
    }
  }
}

/**
 * The 256 unsigned 6-bit levels (0..63, zero at 32) of the Q6_K block at `o`: the low four bits
 * from ql (two halves of 64 bytes, low nibbles then high), the top two from qh.
 */
export function q6kLevels(bytes: Uint8Array, o: number, levels: Uint8Array): void {
  for (let h = 0; h < 2; h++) {
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 32; j++) {
        const low = bytes[o + 64 * h + 32 * (i & 1) + j];
        levels[128 * h + 32 * i + j] = (i < 2 ? low & 0x0f : low >> 4) | (((bytes[o + 128 + 32 * h + j] >> (2 * i)) & 3) << 4);
      }
    }
  }
}

function decodeQ6_K(bytes: Uint8Array, out: Float32Array, blocks: number): void {
  const levels = new Uint8Array(256);
  for (let b = 0; b < blocks; b++) {
    const o = b * 210;
    const d = half(bytes, o + 208);
    q6kLevels(bytes, o, levels);
    for (let index = 0; index < 256; index++) {
      const scale = (bytes[o + 192 + (index >> 4)] << 24) >> 24;
      out[b * 256 + index] = fround(d * scale) * (levels[index] - 32);
    }
  }
}

/** Decodes `values` values of ggml type `type` from `bytes` (whole blocks) to float32. */
export function dequantizeGgml(type: GgmlType, bytes: Uint8Array, values: number): Float32Array {
  const { name, blockValues } = GGML_TYPES[type];
  const length = ggmlByteLength(type, values);
  if (bytes.length < length) {
    throw new RangeError(`${values} ${name} values need ${length} bytes, got ${bytes.length}.`);
  }
  const blocks = values / blockValues;
  switch (type) {
    case 0: {
      // Copy through a byte view: the bytes may sit at an offset that is not a multiple of 4.
      const out = new Float32Array(values);
      new Uint8Array(out.buffer).set(bytes.subarray(0, length));
      return out;
    }
    case 1:
    case 30: {
      const bits = new Uint16Array(values);
      new Uint8Array(bits.buffer).set(bytes.subarray(0, length));
      return type === 1 ? float16BitsToFloat32(bits) : bfloat16BitsToFloat32(bits);
    }
  }
  // Each decoder stores through a Float32Array, which rounds its last operation to float32.
  const out = new Float32Array(values);
  switch (type) {
    case 2: decodeQ4_0(bytes, out, blocks); break;
    case 3: decodeQ4_1(bytes, out, blocks); break;
    case 6: decodeQ5_0(bytes, out, blocks); break;
    case 7: decodeQ5_1(bytes, out, blocks); break;
    case 8: decodeQ8_0(bytes, out, blocks); break;
    case 12: decodeKQuant(bytes, out, blocks, false); break;
    case 13: decodeKQuant(bytes, out, blocks, true); break;
    case 14: decodeQ6_K(bytes, out, blocks); break;
  }
  return out;
}
