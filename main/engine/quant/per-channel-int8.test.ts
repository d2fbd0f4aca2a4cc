import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quantizePerChannelInt8 } from './per-channel-int8.ts';

test('each output channel gets max|w|/127 as its scale, stored transposed as [in, out]', () => {
  // HF layout [out=2, in=3]
  const weight = { data: Float32Array.from([0.5, -1.27, 0.01, 0, 0, 0]), shape: [2, 3] };
  const { quantized, scales, inFeatures, outFeatures } = quantizePerChannelInt8(weight);
  assert.equal(inFeatures, 3);
  assert.equal(outFeatures, 2);
  assert.ok(Math.abs(scales[0] - 0.01) < 1e-9);
  assert.equal(scales[1], 1, 'an all-zero channel keeps a harmless scale');
  // column 0 of [in, out] holds channel 0: 0.5/0.01 = 50, -127, 1
  assert.deepEqual([quantized[0], quantized[2], quantized[4]], [50, -127, 1]);
  assert.deepEqual([quantized[1], quantized[3], quantized[5]], [0, 0, 0]);
});
