import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeAndLoad, tempModelDir } from './arch-test-support.ts';
import { openModelSource } from './model-source.ts';
import { writeTestModel } from './test-model-writer.ts';

const config = {
  model_type: 'bloom',
  vocab_size: 16,
  n_embed: 16,
  n_layer: 2,
  num_attention_heads: 4,
  layer_norm_epsilon: 1e-5,
  bos_token_id: 1,
  eos_token_id: 2,
  pad_token_id: 3,
};

/** Named as BloomModel saves them (bigscience/bloom-560m has no "transformer." prefix). */
function bloomTensors(): Record<string, number[]> {
  const t: Record<string, number[]> = {
    'word_embeddings.weight': [16, 16],
    'word_embeddings_layernorm.weight': [16],
    'word_embeddings_layernorm.bias': [16],
    'ln_f.weight': [16],
    'ln_f.bias': [16],
  };
  for (let i = 0; i < 2; i++) {
    const p = `h.${i}.`;
    Object.assign(t, {
      [`${p}input_layernorm.weight`]: [16],
      [`${p}input_layernorm.bias`]: [16],
      [`${p}self_attention.query_key_value.weight`]: [48, 16],
      [`${p}self_attention.query_key_value.bias`]: [48],
      [`${p}self_attention.dense.weight`]: [16, 16],
      [`${p}self_attention.dense.bias`]: [16],
      [`${p}post_attention_layernorm.weight`]: [16],
      [`${p}post_attention_layernorm.bias`]: [16],
      [`${p}mlp.dense_h_to_4h.weight`]: [64, 16],
      [`${p}mlp.dense_h_to_4h.bias`]: [64],
      [`${p}mlp.dense_4h_to_h.weight`]: [16, 64],
      [`${p}mlp.dense_4h_to_h.bias`]: [16],
    });
  }
  return t;
}

test('bloom: undoes the per-head q/k/v interleaving, embedding LayerNorm, ALiBi', async (t) => {
  const { source, written, weights } = await writeAndLoad(t, { config, tensors: bloomTensors() });
  const { spec } = source;
  assert.equal(spec.hiddenSize, 16);
  assert.equal(spec.numLayers, 2);
  assert.deepEqual(spec.positions, { kind: 'alibi', slopes: [0.25, 0.0625, 0.015625, 0.00390625] });
  assert.equal(spec.embeddingNorm, true);
  assert.deepEqual(spec.norm, { kind: 'layer', eps: 1e-5, weightOffset: 0, bias: true });
  assert.deepEqual(spec.mlp, { kind: 'plain', activation: 'gelu_tanh', intermediateSize: 64, bias: true });
  assert.equal(spec.contextLength, 2048);
  // Fused rows are [head][q, k, v][head_dim 4]: k of head 2 is fused rows (2·3 + 1)·4 .. +4.
  const fused = written['h.1.self_attention.query_key_value.weight'];
  const k = weights.get('layers.1.k.weight')!;
  assert.deepEqual(k.shape, [16, 16]);
  for (let head = 0; head < 4; head++) {
    for (let d = 0; d < 4; d++) {
      const fusedRow = (head * 3 + 1) * 4 + d;
      assert.deepEqual(k.data.subarray((head * 4 + d) * 16, (head * 4 + d + 1) * 16), fused.data.subarray(fusedRow * 16, (fusedRow + 1) * 16));
    }
  }
  const fusedBias = written['h.0.self_attention.query_key_value.bias'].data;
  const vBias = weights.get('layers.0.v.bias')!.data;
  assert.deepEqual([...vBias.subarray(12, 16)], [...fusedBias.subarray((3 * 3 + 2) * 4, (3 * 3 + 2) * 4 + 4)], 'v bias of head 3');
  assert.deepEqual(weights.get('embedNorm.bias'), written['word_embeddings_layernorm.bias']);
});

test('bloom: a config without any hidden size names both field names', async (t) => {
  const dir = await tempModelDir(t);
  const { n_embed: _omit, ...withoutHidden } = config;
  await writeTestModel(dir, { config: withoutHidden, tensors: bloomTensors() });
  await assert.rejects(openModelSource(dir), /- hidden_size: required \(or n_embed\)/);
});

test('bloom: a corrupt head count (a billion) is refused by the config check, before any slope is made', async (t) => {
  const dir = await tempModelDir(t);
  await writeTestModel(dir, { config: { ...config, n_embed: 1e9, num_attention_heads: 1e9 }, tensors: bloomTensors() });
  await assert.rejects(openModelSource(dir), /num_attention_heads: more attention heads than any model has \(at most 4096\)/);
});
