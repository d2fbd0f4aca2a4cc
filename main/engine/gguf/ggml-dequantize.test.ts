import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dequantizeGgml, scaleAndMin } from './ggml-dequantize.ts';

// Hand-made blocks whose values are worked out in the comments. Halves used: 0x3c00 = 1,
// 0x3800 = 0.5, 0x4000 = 2, 0xbc00 = -1, 0x3400 = 0.25, 0xc000 = -2.

function bytesOf(...parts: (number | number[])[]): Uint8Array {
  return Uint8Array.from(parts.flat());
}
const halfLE = (bits: number) => [bits & 0xff, bits >> 8];

test('F32, F16 and BF16 are read little-endian, even from an odd byte offset', () => {
  const f32 = new Uint8Array(9);
  new DataView(f32.buffer).setFloat32(1, -1.5, true);
  new DataView(f32.buffer).setFloat32(5, 3.25, true);
  assert.deepEqual(Array.from(dequantizeGgml(0, f32.subarray(1), 2)), [-1.5, 3.25]);
  assert.deepEqual(Array.from(dequantizeGgml(1, bytesOf(halfLE(0x3c00), halfLE(0xc000)), 2)), [1, -2]);
  // bf16 0x3fc0 = 1.5, 0xc040 = -3
  assert.deepEqual(Array.from(dequantizeGgml(30, bytesOf(halfLE(0x3fc0), halfLE(0xc040)), 2)), [1.5, -3]);
});

test('Q4_0: v = (nibble - 8)·d, value j in the low nibble of byte j, value j+16 in its high nibble', () => {
  // d = 0.5; byte j = (15 - j) << 4 | j: value j = (j - 8)/2, value j+16 = (7 - j)/2.
  const block = bytesOf(halfLE(0x3800), Array.from({ length: 16 }, (_, j) => ((15 - j) << 4) | j));
  const expected = [...Array.from({ length: 16 }, (_, j) => (j - 8) / 2), ...Array.from({ length: 16 }, (_, j) => (7 - j) / 2)];
  assert.deepEqual(Array.from(dequantizeGgml(2, block, 32)), expected);
});

test('Q4_1: v = nibble·d + m', () => {
  // d = 2, m = -1; byte j = 0xf0 | j: value j = 2j - 1, value j+16 = 29.
  const block = bytesOf(halfLE(0x4000), halfLE(0xbc00), Array.from({ length: 16 }, (_, j) => 0xf0 | j));
  const expected = [...Array.from({ length: 16 }, (_, j) => 2 * j - 1), ...new Array(16).fill(29)];
  assert.deepEqual(Array.from(dequantizeGgml(3, block, 32)), expected);
});

test('Q5_0: the fifth bit of value j is bit j of qh (little-endian u32), v = (q - 16)·d', () => {
  // d = 1; qh = 0x8000_0001: values 0 and 31 get the fifth bit. All nibbles 0x3 / 0x5.
  const block = bytesOf(halfLE(0x3c00), [0x01, 0, 0, 0x80], new Array(16).fill(0x53));
  const expected = [...new Array(16).fill(3 - 16), ...new Array(16).fill(5 - 16)];
  expected[0] = 3 + 16 - 16;
  expected[31] = 5 + 16 - 16;
  assert.deepEqual(Array.from(dequantizeGgml(6, block, 32)), expected);
});

test('Q5_1: v = q·d + m with the fifth bit from qh', () => {
  // d = 0.25, m = 1; qh = 0x0001_0000: value 16 (the high nibble of byte 0) gets the fifth bit.
  const block = bytesOf(halfLE(0x3400), halfLE(0x3c00), [0, 0, 0x01, 0], new Array(16).fill(0xf0));
  const expected = [...new Array(16).fill(1), ...new Array(16).fill(15 * 0.25 + 1)];
  expected[16] = 31 * 0.25 + 1;
  assert.deepEqual(Array.from(dequantizeGgml(7, block, 32)), expected);
});

test('Q8_0: signed bytes times d', () => {
  // qs = -128, -120, ... 120: every byte read as a signed int8.
  const block = bytesOf(halfLE(0xc000), Array.from({ length: 32 }, (_, j) => (j * 8 - 128) & 0xff));
  assert.deepEqual(Array.from(dequantizeGgml(8, block, 32)), Array.from({ length: 32 }, (_, j) => (j * 8 - 128) * -2));
  // Two blocks decode independently.
  const two = bytesOf(halfLE(0x3c00), new Array(32).fill(0x7f), halfLE(0x3800), new Array(32).fill(0x80));
  assert.deepEqual(Array.from(dequantizeGgml(8, two, 64)), [...new Array(32).fill(127), ...new Array(32).fill(-64)]);
});

/** The 12 scale bytes for k-quant sub-blocks with 6-bit scales sc[0..7] and mins m[0..7]. */
function packScales(sc: number[], m: number[]): number[] {
  const out = new Array(12).fill(0);
  for (let j = 0; j < 4; j++) {
    out[j] = (sc[j] & 63) | ((sc[j + 4] >> 4) << 6);
    out[j + 4] = (m[j] & 63) | ((m[j + 4] >> 4) << 6);
    out[j + 8] = (sc[j + 4] & 15) | ((m[j + 4] & 15) << 4);
  }
  return out;
}

test('k-quant 6-bit scales: sub-blocks 4-7 take their top two bits from bytes 0-7', () => {
  // Hand-packed: scale of sub-block 5 = 0b10_1101 = 45: low 4 bits 0xd in byte 9's low nibble,
  // top bits 0b10 in byte 1's bits 6-7. Its min 0b01_0110 = 22: 0x6 in byte 9's high nibble, 0b01 in byte 5.
  const scales = Uint8Array.from([0x03, 0x80 | 0x07, 0, 0, 0x11, 0x40 | 0x05, 0, 0, 0, 0x6d, 0, 0]);
  assert.deepEqual(scaleAndMin(scales, 0, 1), { scale: 7, min: 5 });
  assert.deepEqual(scaleAndMin(scales, 0, 0), { scale: 3, min: 0x11 });
  assert.deepEqual(scaleAndMin(scales, 0, 5), { scale: 45, min: 22 });
  // And the packer used below agrees with the reader for every sub-block.
  const sc = [1, 63, 17, 40, 33, 2, 63, 48];
  const m = [0, 5, 63, 21, 62, 47, 1, 16];
  const packed = Uint8Array.from(packScales(sc, m));
  for (let j = 0; j < 8; j++) assert.deepEqual(scaleAndMin(packed, 0, j), { scale: sc[j], min: m[j] });
});

test('Q4_K: v = (d·sc)·q - dmin·m per sub-block of 32; each 64 values share 32 bytes, low nibbles first', () => {
  // d = 0.5, dmin = 0.25; sub-block s has scale s+1 and min 2s (s = 4..7 exercise the split packing
  // when s+1 ≥ 16 — use scales 16·(s&1)+s+1 to set the top bits).
  const sc = Array.from({ length: 8 }, (_, s) => 16 * (s & 1) + s + 1);
  const m = Array.from({ length: 8 }, (_, s) => 2 * s + 16 * (s >> 2));
  // qs byte 32c + j = (j & 15) | (15 - (j & 15)) << 4
  const qs = Array.from({ length: 128 }, (_, i) => (i & 15) | ((15 - (i & 15)) << 4));
  const block = bytesOf(halfLE(0x3800), halfLE(0x3400), packScales(sc, m), qs);
  const expected: number[] = [];
  for (let s = 0; s < 8; s++) {
    for (let j = 0; j < 32; j++) {
      const q = s % 2 === 0 ? j & 15 : 15 - (j & 15);
      expected.push(0.5 * sc[s] * q - 0.25 * m[s]);
    }
  }
  assert.deepEqual(Array.from(dequantizeGgml(12, block, 256)), expected);
});

test('Q5_K: the fifth bit of sub-block s, position j, is bit s of qh[j]', () => {
  const sc = [1, 2, 3, 4, 5, 6, 7, 8];
  const m = [0, 0, 0, 0, 0, 0, 0, 1];
  // qh[j] = 1 << (j & 7): position j gets its fifth bit only in sub-block j mod 8.
  const qh = Array.from({ length: 32 }, (_, j) => 1 << (j & 7));
  const qs = new Array(128).fill(0x21); // low nibble 1, high nibble 2
  const block = bytesOf(halfLE(0x3c00), halfLE(0x3c00), packScales(sc, m), qh, qs);
  const expected: number[] = [];
  for (let s = 0; s < 8; s++) {
    for (let j = 0; j < 32; j++) {
      const q = (s % 2 === 0 ? 1 : 2) + ((j & 7) === s ? 16 : 0);
      expected.push(sc[s] * q - m[s]);
    }
  }
  assert.deepEqual(Array.from(dequantizeGgml(13, block, 256)), expected);
});

test('Q6_K: v = (d·sc)·(q - 32), signed 8-bit scales per 16 values, ql/qh interleaving', () => {
  // Value v (0..255) is h = v>>7, i = (v>>5)&3, j = v&31: pack a chosen 6-bit q per value as the
  // format lays it out, and expect d·sc·(q - 32).
  const target = Array.from({ length: 256 }, (_, v) => (v * 37 + 11) % 64);
  const ql = new Array(128).fill(0);
  const qh = new Array(64).fill(0);
  for (let v = 0; v < 256; v++) {
    const h = v >> 7;
    const i = (v >> 5) & 3;
    const j = v & 31;
    const q = target[v];
    ql[64 * h + 32 * (i & 1) + j] |= (q & 15) << (i < 2 ? 0 : 4);
    qh[32 * h + j] |= (q >> 4) << (2 * i);
  }
  const scales = Array.from({ length: 16 }, (_, s) => (s % 2 === 0 ? s + 1 : -(s + 1)) & 0xff);
  const block = bytesOf(ql, qh, scales, halfLE(0x3800));
  const expected = target.map((q, v) => {
    const s = v >> 4;
    return 0.5 * (s % 2 === 0 ? s + 1 : -(s + 1)) * (q - 32);
  });
  assert.deepEqual(Array.from(dequantizeGgml(14, block, 256)), expected);
  // Spot-check one value by hand: v = 200: h 1, i 2, j 8, q = (200·37+11) % 64 = 51 → 19·0.5·(+13).
  assert.equal(target[200], 51);
  assert.equal(dequantizeGgml(14, block, 256)[200], 0.5 * 13 * 19);
});

test('too few bytes or a partial block is refused by name', () => {
  assert.throws(() => dequantizeGgml(2, new Uint8Array(17), 32), /32 Q4_0 values need 18 bytes, got 17/);
  assert.throws(() => dequantizeGgml(12, new Uint8Array(1000), 100), /not whole Q4_K blocks/);
});
