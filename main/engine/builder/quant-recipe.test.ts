import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';
import { buildModel, GRAPH_FILE } from './build-model.ts';
import { isSymmetric, matMulNBitsBits, roundScalesToFloat16, tokenTableBlockSize, usesDynamicInt8, usesMoreBits } from './quant-recipe.ts';

const layersPicked = (numLayers: number) => Array.from({ length: numLayers }, (_, i) => i).filter((i) => usesMoreBits(i, numLayers));

test("usesMoreBits picks llama.cpp's layers: the first and last eighth and every third between", () => {
  assert.deepEqual(layersPicked(24), [0, 1, 2, 5, 8, 11, 14, 17, 20, 21, 22, 23], 'Qwen2.5-0.5B');
  assert.deepEqual(layersPicked(6), [2, 5], 'shakespeare-5m (its Q4_K_M file has Q6_K attn_v in blocks 2 and 5)');
  assert.deepEqual(layersPicked(32), [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31]);
});

test('int4 bits: 8 for o_proj, v_proj (every layer with grouped-query attention), down_proj in the picked layers and an untied head; 4 elsewhere', () => {
  const gqa = { numLayers: 24, attention: { numHeads: 14, numKvHeads: 2 } } as Parameters<typeof matMulNBitsBits>[2];
  const mha = { numLayers: 24, attention: { numHeads: 14, numKvHeads: 14 } } as Parameters<typeof matMulNBitsBits>[2];
  assert.equal(matMulNBitsBits('int4', '/model/layers.5/mlp/down_proj', gqa), 8);
  assert.equal(matMulNBitsBits('int4', '/model/layers.6/mlp/down_proj', gqa), 4);
  assert.equal(matMulNBitsBits('int4', '/model/layers.6/attn/v_proj', gqa), 8);
  assert.equal(matMulNBitsBits('int4', '/model/layers.6/attn/v_proj', mha), 4);
  assert.equal(matMulNBitsBits('int4', '/model/layers.5/attn/v_proj', mha), 8);
  for (const other of ['q', 'k']) assert.equal(matMulNBitsBits('int4', `/model/layers.0/attn/${other}_proj`, gqa), 4);
  for (const spec of [gqa, mha]) assert.equal(matMulNBitsBits('int4', '/model/layers.6/attn/o_proj', spec), 8);
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

test("8-bit matrices take the int8 kernel on the CPU ('dynamic') and stay MatMulNBits blocks for the GPU ('blockwise')", () => {
  assert.equal(usesDynamicInt8(8, 'dynamic'), true);
  assert.equal(usesDynamicInt8(8, 'blockwise'), false);
  assert.equal(usesDynamicInt8(4, 'dynamic'), false, '4-bit matrices are MatMulNBits either way');
});

const SHAKESPEARE = fileURLToPath(new URL('../../../resources/models/shakespeare-5m/', import.meta.url));

/** The op of each linear layer in a built graph, by its node name (e.g. /model/layers.2/attn/v_proj → MatMulInteger), and MatMulNBits' bits. */
async function linearOps(dir: string): Promise<Map<string, string>> {
  const model = onnxProto.onnx.ModelProto.decode(await readFile(join(dir, GRAPH_FILE)));
  const ops = new Map<string, string>();
  for (const node of model.graph!.node!) {
    const layer = /^(\/model\/layers\.\d+\/(?:attn|mlp)\/\w+_proj|\/lm_head)\/(MatMulNBits|DynamicQuantizeMatMul|MatMulInteger)$/.exec(node.name ?? '');
    if (!layer) continue;
    const bits = node.attribute?.find((a) => a.name === 'bits')?.i;
    ops.set(layer[1], layer[2] + (bits === undefined || bits === null ? '' : ` ${Number(bits)}`));
  }
  return ops;
}

test('an int4 build of the demo: its 8-bit o_proj, v_proj and down_proj per-channel int8 with the input quantized per token for the CPU, 8-bit MatMulNBits for the GPU', async () => {
  const root = await mkdtemp(join(tmpdir(), 'hearth-int4-kernels-'));
  try {
    await buildModel(SHAKESPEARE, join(root, 'cpu'), { precision: 'int4' });
    await buildModel(SHAKESPEARE, join(root, 'gpu'), { precision: 'int4', int8Kernel: 'blockwise' });
    const cpu = await linearOps(join(root, 'cpu'));
    const gpu = await linearOps(join(root, 'gpu'));
    // shakespeare-5m: 6 layers, 8 query heads over 4 key/value heads (v 8-bit everywhere), down_proj 8-bit in layers 2 and 5.
    for (let layer = 0; layer < 6; layer++) {
      const moreBits = layer === 2 || layer === 5;
      for (const name of ['attn/o_proj', 'attn/v_proj']) {
        assert.equal(cpu.get(`/model/layers.${layer}/${name}`), 'MatMulInteger');
        assert.equal(gpu.get(`/model/layers.${layer}/${name}`), 'MatMulNBits 8');
      }
      assert.equal(cpu.get(`/model/layers.${layer}/mlp/down_proj`), moreBits ? 'MatMulInteger' : 'MatMulNBits 4');
      assert.equal(gpu.get(`/model/layers.${layer}/mlp/down_proj`), moreBits ? 'MatMulNBits 8' : 'MatMulNBits 4');
      for (const name of ['attn/q_proj', 'attn/k_proj', 'mlp/gate_proj', 'mlp/up_proj']) {
        assert.equal(cpu.get(`/model/layers.${layer}/${name}`), 'MatMulNBits 4');
        assert.equal(gpu.get(`/model/layers.${layer}/${name}`), 'MatMulNBits 4');
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
