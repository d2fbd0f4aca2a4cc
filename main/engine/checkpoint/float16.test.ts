import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bfloat16BitsToFloat32, float16BitsToFloat32, float32ToBfloat16Bits, float32ToFloat16Bits, halfBitsToFloat32Checked } from './float16.ts';

const half = (x: number): number => float32ToFloat16Bits(Float32Array.of(x))[0];

test('float32 → float16 rounds to nearest, ties to even', () => {
  assert.equal(half(1), 0x3c00);
  assert.equal(half(-2), 0xc000);
  assert.equal(half(65504), 0x7bff);
  assert.equal(half(65520), 0x7c00, 'halfway above the largest half rounds up to infinity');
  assert.equal(half(1 + 2 ** -11), 0x3c00, 'tie rounds to even (down)');
  assert.equal(half(1 + 3 * 2 ** -11), 0x3c02, 'tie rounds to even (up)');
  assert.equal(half(1 + 2 ** -11 + 2 ** -20), 0x3c01, 'above the tie rounds up');
  assert.equal(half(2 ** -24), 0x0001, 'smallest subnormal');
  assert.equal(half(2 ** -25), 0x0000, 'tie below the smallest subnormal rounds to even zero');
  assert.equal(half(1.5 * 2 ** -25), 0x0001);
  assert.equal(half(3 * 2 ** -25), 0x0002, 'subnormal tie rounds to even');
  assert.equal(half(2 ** -14 - 2 ** -26), 0x0400, 'rounding up out of the subnormals gives the smallest normal');
  assert.equal(half(-0), 0x8000);
  assert.equal(half(Infinity), 0x7c00);
  assert.equal(half(-Infinity), 0xfc00);
  assert.equal(half(NaN) & 0x7c00, 0x7c00);
  assert.notEqual(half(NaN) & 0x3ff, 0, 'NaN stays NaN');
  assert.equal(half(1e-10), 0);
});

test('every float16 value round-trips through float32', () => {
  const all = new Uint16Array(65536).map((_, i) => i);
  const back = float32ToFloat16Bits(float16BitsToFloat32(all));
  for (let i = 0; i < 65536; i++) {
    const isNaN = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
    if (isNaN) assert.ok(Number.isNaN(float16BitsToFloat32(Uint16Array.of(back[i]))[0]));
    else assert.equal(back[i], i, `half 0x${i.toString(16)}`);
  }
  assert.equal(float16BitsToFloat32(Uint16Array.of(0x3555))[0], Math.fround(0.333251953125));
  assert.equal(float16BitsToFloat32(Uint16Array.of(0x0001))[0], 2 ** -24);
});

test('bfloat16 conversions keep the top half of float32, rounding to nearest even', () => {
  assert.deepEqual([...bfloat16BitsToFloat32(Uint16Array.of(0x3f80, 0xc040, 0x7f80))], [1, -3, Infinity]);
  const bits = float32ToBfloat16Bits(Float32Array.of(1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20, NaN));
  assert.deepEqual([...bits.slice(0, 4)], [0x3f80, 0x3f80, 0x3f82, 0x3f81]);
  assert.ok(Number.isNaN(bfloat16BitsToFloat32(bits.slice(4))[0]));
});

test('halfBitsToFloat32Checked widens as the plain conversions do and counts NaN and infinite values, for every 16-bit pattern', () => {
  const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
  // Exponent bits all set: 2 signs x 2^10 mantissas in F16, 2 x 2^7 in BF16.
  for (const [format, widen, count] of [['F16', float16BitsToFloat32, 2048], ['BF16', bfloat16BitsToFloat32, 256]] as const) {
    const { data, nonFinite } = halfBitsToFloat32Checked(all, format);
    assert.deepEqual(new Uint32Array(data.buffer), new Uint32Array(widen(all).buffer), format);
    assert.equal(nonFinite, count, format);
    assert.equal(nonFinite, data.filter((v) => !Number.isFinite(v)).length, `${format}: the count matches the widened values`);
  }
});
