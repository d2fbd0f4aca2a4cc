import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeAndLoad } from './arch-test-support.ts';
import { gptNeox } from './gpt-neox.ts';
import { takeInterleavedHeads } from './tensor-layout.ts';

const config = {
  model_type: 'gpt_neox',
  vocab_size: 16,
  hidden_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 64,
  hidden_act: 'gelu',
  max_position_embeddings: 128,
  layer_norm_eps: 1e-5,
  rotary_pct: 0.5,
  rotary_emb_base: 5000,
  use_parallel_residual: true,
  tie_word_embeddings: false,
  bos_token_id: 0,
  eos_token_id: 0,
};

function neoxTensors(): Record<string, number[]> {
  const t: Record<string, number[]> = {
    'gpt_neox.embed_in.weight': [16, 16],
    'gpt_neox.final_layer_norm.weight': [16],
    'gpt_neox.final_layer_norm.bias': [16],
    'embed_out.weight': [16, 16],
  };
  for (let i = 0; i < 2; i++) {
    const p = `gpt_neox.layers.${i}.`;
    Object.assign(t, {
      [`${p}input_layernorm.weight`]: [16],
      [`${p}input_layernorm.bias`]: [16],
      [`${p}post_attention_layernorm.weight`]: [16],
      [`${p}post_attention_layernorm.bias`]: [16],
      [`${p}attention.query_key_value.weight`]: [48, 16],
      [`${p}attention.query_key_value.bias`]: [48],
      [`${p}attention.dense.weight`]: [16, 16],
      [`${p}attention.dense.bias`]: [16],
      [`${p}mlp.dense_h_to_4h.weight`]: [64, 16],
      [`${p}mlp.dense_h_to_4h.bias`]: [64],
      [`${p}mlp.dense_4h_to_h.weight`]: [16, 64],
      [`${p}mlp.dense_4h_to_h.bias`]: [16],
    });
  }
  return t;
}

test('gpt_neox: interleaved fused qkv, partial rotary from rotary_pct, parallel residual, embed_out head', async (t) => {
  const { source, written, weights } = await writeAndLoad(t, { config, tensors: neoxTensors() });
  const { spec } = source;
  assert.deepEqual(spec.positions, { kind: 'rope', theta: 5000, rotaryDim: 4, scaling: null, frequencyPrecision: 'float32' });
  assert.equal(spec.residual, 'parallel');
  assert.deepEqual(spec.mlp, { kind: 'plain', activation: 'gelu', intermediateSize: 64, bias: true });
  assert.deepEqual([spec.attention.qkvBias, spec.attention.outBias], [true, true]);
  const fused = written['gpt_neox.layers.0.attention.query_key_value.weight'];
  // Head 1's q rows are fused rows (1·3 + 0)·8 .. +8.
  assert.deepEqual(weights.get('layers.0.q.weight')!.data.subarray(8 * 16, 16 * 16), fused.data.subarray(24 * 16, 32 * 16));
  assert.deepEqual(weights.get('layers.0.v.weight'), takeInterleavedHeads(fused, 2, 8, 2));
  assert.deepEqual(weights.get('lmHead'), written['embed_out.weight']);
});

test('gpt_neox: transformers 5 rope_parameters and a sequential residual', () => {
  const { rotary_pct: _p, rotary_emb_base: _b, ...modern } = config;
  const spec = gptNeox.toSpec(
    gptNeox.configSchema.parse({ ...modern, use_parallel_residual: false, rope_parameters: { rope_type: 'default', rope_theta: 10000, partial_rotary_factor: 0.25 } }),
    {},
  );
  assert.deepEqual(spec.positions, { kind: 'rope', theta: 10000, rotaryDim: 2, scaling: null, frequencyPrecision: 'float32' });
  assert.equal(spec.residual, 'sequential');
  const defaults = gptNeox.toSpec(gptNeox.configSchema.parse(modern), {});
  assert.deepEqual(defaults.positions, { kind: 'rope', theta: 10000, rotaryDim: 2, scaling: null, frequencyPrecision: 'float32' }, 'rotary_pct defaults to 0.25');
});
