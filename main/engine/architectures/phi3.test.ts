import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeAndLoad } from './arch-test-support.ts';
import { llamaFamilyTensorShapes } from './test-model-writer.ts';
import { sliceRows } from './tensor-layout.ts';

test('phi3: splits qkv_proj into [q; k; v] and gate_up_proj into [gate; up]; partial rotary', async (t) => {
  const config = {
    model_type: 'phi3',
    vocab_size: 16,
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 64,
    partial_rotary_factor: 0.5,
    rope_theta: 10000,
    rope_scaling: null,
    sliding_window: 31,
    bos_token_id: 1,
    eos_token_id: 32000,
    pad_token_id: 32000,
  };
  const tensors = llamaFamilyTensorShapes({ vocab: 16, hidden: 16, heads: 4, kvHeads: 2, headDim: 4, intermediate: 24, layers: 2, fused: true });
  const { source, written, weights } = await writeAndLoad(t, { config, generationConfig: { eos_token_id: [32000, 32007] }, tensors });
  assert.deepEqual(source.spec.positions, { kind: 'rope', theta: 10000, rotaryDim: 2, scaling: null, frequencyPrecision: 'float32' });
  assert.equal(source.spec.attention.slidingWindow, 31);
  assert.deepEqual(source.spec.eosTokenIds, [32000, 32007]);
  assert.equal(source.spec.norm.eps, 1e-5, "transformers' Phi-3 default rms_norm_eps");
  const qkv = written['model.layers.1.self_attn.qkv_proj.weight'];
  assert.deepEqual(weights.get('layers.1.q.weight'), sliceRows(qkv, 0, 16));
  assert.deepEqual(weights.get('layers.1.k.weight'), sliceRows(qkv, 16, 8));
  assert.deepEqual(weights.get('layers.1.v.weight'), sliceRows(qkv, 24, 8));
  const gateUp = written['model.layers.0.mlp.gate_up_proj.weight'];
  assert.deepEqual(weights.get('layers.0.gate.weight'), sliceRows(gateUp, 0, 24));
  assert.deepEqual(weights.get('layers.0.up.weight'), sliceRows(gateUp, 24, 24));
});
