import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeAndLoad } from './arch-test-support.ts';
import { mistral } from './mistral.ts';
import { llamaFamilyTensorShapes } from './test-model-writer.ts';

const sizes = { vocab: 16, hidden: 16, heads: 4, kvHeads: 2, headDim: 4, intermediate: 24, layers: 2 };
const config = {
  model_type: 'mistral',
  vocab_size: 16,
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 64,
  rope_theta: 1e6,
  sliding_window: 8,
  eos_token_id: 2,
};

test('mistral: sliding window and legacy rope_theta', async (t) => {
  const { source, written, weights } = await writeAndLoad(t, { config, tensors: llamaFamilyTensorShapes(sizes) });
  assert.equal(source.spec.architecture, 'mistral');
  assert.equal(source.spec.attention.slidingWindow, 8);
  assert.deepEqual(source.spec.positions, { kind: 'rope', theta: 1e6, rotaryDim: 4, scaling: null, frequencyPrecision: 'float32' });
  assert.equal(source.spec.tiedEmbeddings, false);
  assert.equal(source.spec.contextLength, 64);
  assert.deepEqual(weights.get('layers.1.v.weight'), written['model.layers.1.self_attn.v_proj.weight']);
  assert.deepEqual(weights.get('lmHead'), written['lm_head.weight']);
});

test('mistral: an absent sliding_window means transformers\' 4096, null means none', () => {
  const { sliding_window: _omit, ...withoutWindow } = config;
  assert.equal(mistral.toSpec(mistral.configSchema.parse(withoutWindow), {}).attention.slidingWindow, 4096);
  assert.equal(mistral.toSpec(mistral.configSchema.parse({ ...config, sliding_window: null }), {}).attention.slidingWindow, null);
});
