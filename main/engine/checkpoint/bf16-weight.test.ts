import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countNonFiniteBf16, lazyBf16Tensor, valueCount, weightValues } from './bf16-weight.ts';

// 1.0, -2.0, 0.5, +inf, NaN, the smallest subnormal, -0.
const BITS = new Uint16Array([0x3f80, 0xc000, 0x3f00, 0x7f80, 0x7fc0, 0x0001, 0x8000]);

test('a BF16 tensor widens its bits exactly when its floats are read, and a quantizer gets the bits', () => {
  const tensor = lazyBf16Tensor(BITS, [7]);
  const values = weightValues(tensor);
  assert.ok(!(values instanceof Float32Array) && values.bf16 === BITS, 'the quantizer is handed the bits, not floats');
  assert.equal(valueCount(values), 7);
  const data = tensor.data;
  assert.deepEqual(Array.from(new Uint32Array(data.buffer)), Array.from(BITS, (b) => (b << 16) >>> 0));
  assert.equal(data[0], 1);
  assert.equal(data[1], -2);
  assert.ok(Number.isNaN(data[4]));
  assert.equal(tensor.data, data, 'widened once');
});

test('a tensor whose floats were replaced hands the quantizer the new floats, not the old bits', () => {
  const tensor = lazyBf16Tensor(BITS, [7]);
  const replaced = new Float32Array(7).fill(3);
  tensor.data = replaced;
  assert.equal(weightValues(tensor), replaced);
});

test('NaN and infinities are counted from the bits, two values a word or one at a time', () => {
  assert.equal(countNonFiniteBf16(BITS), 2);
  // Every exponent field: all ones (0x7f80) in either half of a word, with either sign, counts.
  const all = new Uint16Array(65536).map((_, i) => i);
  assert.equal(countNonFiniteBf16(all), 2 * 128);
  assert.equal(countNonFiniteBf16(all.subarray(1)), 2 * 128, 'an odd offset, read a value at a time');
  assert.equal(countNonFiniteBf16(new Uint16Array([0x3f80, 0xff80, 0x7f81])), 2, 'the odd last value');
});
