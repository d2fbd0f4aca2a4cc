import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSymmetric, matMulNBitsBits, roundScalesToFloat16, tokenTableBlockSize, usesMoreBits } from './quant-recipe.ts';

const layersPicked = (numLayers: number) => Array.from({ length: numLayers }, (_, i) => i).filter((i) => usesMoreBits(i, numLayers));

test("usesMoreBits picks llama.cpp's layers: the first and last eighth and every third between", () => {
  assert.deepEqual(layersPicked(24), [0, 1, 2, 5, 8, 11, 14, 17, 20, 21, 22, 23], 'Qwen2.5-0.5B');
  assert.deepEqual(layersPicked(6), [2, 5], 'shakespeare-5m (its Q4_K_M file has Q6_K attn_v in blocks 2 and 5)');
  assert.deepEqual(layersPicked(32), [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31]);
});

test('int4 bits: 8 for v_proj (every layer with grouped-query attention), down_proj in the picked layers and an untied head; 4 elsewhere', () => {
  const gqa = { numLayers: 24, attention: { numHeads: 14, numKvHeads: 2 } } as Parameters<typeof matMulNBitsBits>[2];
  const mha = { numLayers: 24, attention: { numHeads: 14, numKvHeads: 14 } } as Parameters<typeof matMulNBitsBits>[2];
  assert.equal(matMulNBitsBits('int4', '/model/layers.5/mlp/down_proj', gqa), 8);
  assert.equal(matMulNBitsBits('int4', '/model/layers.6/mlp/down_proj', gqa), 4);
  assert.equal(matMulNBitsBits('int4', '/model/layers.6/attn/v_proj', gqa), 8);
  assert.equal(matMulNBitsBits('int4', '/model/layers.6/attn/v_proj', mha), 4);
  assert.equal(matMulNBitsBits('int4', '/model/layers.5/attn/v_proj', mha), 8);
  for (const other of ['q', 'k', 'o']) assert.equal(matMulNBitsBits('int4', `/model/layers.0/attn/${other}_proj`, gqa), 4);
  for (const other of ['gate', 'up']) assert.equal(matMulNBitsBits('int4', `/model/layers.0/mlp/${other}_proj`, gqa), 4);
  assert.equal(matMulNBitsBits('int4', '/lm_head', gqa), 8);
  assert.equal(matMulNBitsBits('int8', '/model/layers.6/mlp/up_proj', gqa), 8);
  assert.equal(isSymmetric(4), false, '4-bit blocks carry zero points');
  assert.equal(isSymmetric(8), true);
});

test('the token table takes blocks of 64 where they fit, else 32, else none', () => {
  assert.equal(tokenTableBlockSize(896), 64);
  assert.equal(tokenTableBlockSize(96), 32);
  assert.equal(tokenTableBlockSize(48), null);
});

test('scales are rounded to float16 values, unless one would overflow', () => {
  const scales = Float32Array.from([0.1, -0.003, 1e-3 / 7, 0]);
  const rounded = roundScalesToFloat16(scales);
  for (let i = 0; i < scales.length; i++) assert.ok(Math.abs(rounded[i] - scales[i]) <= Math.abs(scales[i]) * 2 ** -11, `${scales[i]} → ${rounded[i]}`);
  assert.notEqual(rounded[0], scales[0], '0.1 is not a float16 value');
  const huge = Float32Array.from([0.5, 1e6]);
  assert.equal(roundScalesToFloat16(huge), huge, 'kept as float32 values');
});
