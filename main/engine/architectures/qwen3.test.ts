import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeAndLoad } from './arch-test-support.ts';
import { ConfigError } from './config-error.ts';
import { qwen2 } from './qwen2.ts';
import { qwen3 } from './qwen3.ts';
import { llamaFamilyTensorShapes } from './test-model-writer.ts';

const config = {
  model_type: 'qwen3',
  vocab_size: 16,
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 8,
  max_position_embeddings: 64,
  rms_norm_eps: 1e-6,
  attention_bias: true,
  tie_word_embeddings: true,
  rope_parameters: { rope_type: 'default', rope_theta: 1000000 },
  use_sliding_window: false,
  sliding_window: null,
  eos_token_id: [3, 4],
};

test('qwen3: q/k norms, head_dim unlike hidden/heads, attention biases on q, k, v and o', async (t) => {
  const tensors = llamaFamilyTensorShapes({ vocab: 16, hidden: 16, heads: 4, kvHeads: 2, headDim: 8, intermediate: 24, layers: 2, qkvBias: true, qkNorm: true, tied: true });
  tensors['model.layers.0.self_attn.o_proj.bias'] = [16];
  tensors['model.layers.1.self_attn.o_proj.bias'] = [16];
  const { source, written, weights } = await writeAndLoad(t, { config, tensors });
  const { attention } = source.spec;
  assert.deepEqual(
    { headDim: attention.headDim, qkNorm: attention.qkNorm, qkvBias: attention.qkvBias, outBias: attention.outBias, scale: attention.scale },
    { headDim: 8, qkNorm: true, qkvBias: true, outBias: true, scale: 1 / Math.sqrt(8) },
  );
  assert.deepEqual(source.spec.positions, { kind: 'rope', theta: 1e6, rotaryDim: 8, scaling: null, frequencyPrecision: 'float32' });
  assert.deepEqual(source.spec.eosTokenIds, [3, 4]);
  assert.deepEqual(weights.get('layers.1.kNorm.weight'), written['model.layers.1.self_attn.k_norm.weight']);
  assert.deepEqual(weights.get('layers.0.o.bias'), written['model.layers.0.self_attn.o_proj.bias']);
  assert.deepEqual(weights.get('layers.0.q.weight')?.shape, [32, 16]);
});

test('qwen: the sliding window applies only when use_sliding_window is set and all layers slide', () => {
  const parse = (extra: object) => qwen3.toSpec(qwen3.configSchema.parse({ ...config, ...extra }), {}).attention.slidingWindow;
  assert.equal(parse({}), null);
  assert.equal(parse({ use_sliding_window: true, sliding_window: 32, max_window_layers: 0 }), 32);
  assert.equal(parse({ use_sliding_window: true, sliding_window: 32, layer_types: ['sliding_attention', 'sliding_attention'] }), 32);
  assert.equal(parse({ use_sliding_window: true, sliding_window: 32, max_window_layers: 28 }), null, 'default max_window_layers leaves 2 layers full');
  assert.throws(() => parse({ use_sliding_window: true, sliding_window: 32, max_window_layers: 1 }), (e: unknown) => e instanceof ConfigError && /some layers \(1 of 2/.test(e.message));
  const qwen2Spec = qwen2.toSpec(qwen2.configSchema.parse({ ...config, model_type: 'qwen2' }), {});
  assert.deepEqual([qwen2Spec.attention.qkvBias, qwen2Spec.attention.outBias, qwen2Spec.attention.qkNorm], [true, false, false]);
});
