import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeAndLoad } from './arch-test-support.ts';
import { llamaFamilyTensorShapes } from './test-model-writer.ts';

test('gemma: norms come back as (1 + weight), sqrt(hidden) embedding scale, tanh GELU, tied', async (t) => {
  const config = {
    model_type: 'gemma',
    vocab_size: 16,
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    head_dim: 8,
    hidden_act: 'gelu',
    hidden_activation: 'gelu_pytorch_tanh',
    max_position_embeddings: 64,
    bos_token_id: 2,
    eos_token_id: 1,
    pad_token_id: 0,
  };
  const tensors = llamaFamilyTensorShapes({ vocab: 16, hidden: 16, heads: 2, kvHeads: 1, headDim: 8, intermediate: 24, layers: 2, tied: true });
  const { source, written, weights } = await writeAndLoad(t, { config, tensors });
  const { spec } = source;
  assert.deepEqual(spec.norm, { kind: 'rms', eps: 1e-6, weightOffset: 1, bias: false });
  assert.equal(spec.embeddingScale, 4);
  assert.equal(spec.mlp.activation, 'gelu_tanh');
  assert.equal(spec.tiedEmbeddings, true);
  assert.equal(spec.attention.headDim, 8);
  assert.deepEqual([spec.bosTokenId, spec.eosTokenIds, spec.padTokenId], [2, [1], 0]);
  const stored = written['model.layers.1.input_layernorm.weight'].data;
  assert.deepEqual(weights.get('layers.1.attnNorm.weight')?.data, stored.map((x) => x + 1));
  assert.deepEqual(weights.get('finalNorm.weight')?.data, written['model.norm.weight'].data.map((x) => x + 1));
  assert.deepEqual(weights.get('layers.0.q.weight'), written['model.layers.0.self_attn.q_proj.weight'], 'projections are untouched');
});
