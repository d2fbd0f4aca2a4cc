import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { F32Tensor, ModelSpec } from '../../common/model-spec.ts';
import { CheckpointError } from '../checkpoint/checkpoint-error.ts';
import { openModelSource, type ModelSource } from './model-source.ts';
import { ConfigError } from './config-error.ts';
import { specWeightNames } from './spec-weights.ts';
import { writeTestModel } from './test-model-writer.ts';
import { transpose2d, sliceColumns } from './tensor-layout.ts';

const fixtures = fileURLToPath(new URL('../../../../shared/fixtures/', import.meta.url));
const skipFixtures = existsSync(join(fixtures, 'hf-tiny')) ? false : 'shared/fixtures is absent (a clone without ../shared): fixture tests skipped';

const base: Pick<ModelSpec, 'residual' | 'embeddingScale' | 'embeddingNorm' | 'bosTokenId' | 'eosTokenIds' | 'padTokenId'> = {
  residual: 'sequential',
  embeddingScale: null,
  embeddingNorm: false,
  bosTokenId: 1,
  eosTokenIds: [2],
  padTokenId: 0,
};

const llamaSpec: ModelSpec = {
  ...base,
  architecture: 'llama',
  vocabSize: 512,
  hiddenSize: 64,
  numLayers: 2,
  contextLength: 256,
  norm: { kind: 'rms', eps: 1e-6, weightOffset: 0, bias: false },
  positions: { kind: 'rope', theta: 10000, rotaryDim: 16, scaling: null, frequencyPrecision: 'float32' },
  attention: { numHeads: 4, numKvHeads: 2, headDim: 16, qkvBias: false, outBias: false, qkNorm: false, slidingWindow: null, scale: 0.25 },
  mlp: { kind: 'gated', activation: 'silu', intermediateSize: 176, bias: false },
  tiedEmbeddings: false,
};

const EXPECTED_SPECS: Record<string, ModelSpec> = {
  'hf-tiny/llama': llamaSpec,
  'hf-tiny/llama-bf16': { ...llamaSpec, positions: { ...llamaSpec.positions, frequencyPrecision: 'bfloat16' } as ModelSpec['positions'] },
  'hf-tiny/qwen2': {
    ...llamaSpec,
    architecture: 'qwen2',
    attention: { ...llamaSpec.attention, qkvBias: true },
    tiedEmbeddings: true,
  },
  'hf-tiny/mpt': {
    ...base,
    architecture: 'mpt',
    vocabSize: 512,
    hiddenSize: 64,
    numLayers: 2,
    contextLength: 256,
    norm: { kind: 'layer', eps: 1e-5, weightOffset: 0, bias: false },
    positions: { kind: 'alibi', slopes: [0.25, 0.0625, 0.015625, 0.00390625] },
    attention: { numHeads: 4, numKvHeads: 4, headDim: 16, qkvBias: false, outBias: false, qkNorm: false, slidingWindow: null, scale: 0.25 },
    mlp: { kind: 'plain', activation: 'gelu', intermediateSize: 256, bias: false },
    tiedEmbeddings: true,
  },
  'hf-tiny/gpt2': {
    ...base,
    architecture: 'gpt2',
    vocabSize: 512,
    hiddenSize: 64,
    numLayers: 2,
    contextLength: 256,
    norm: { kind: 'layer', eps: 1e-5, weightOffset: 0, bias: true },
    positions: { kind: 'learned', maxPositions: 256 },
    attention: { numHeads: 4, numKvHeads: 4, headDim: 16, qkvBias: true, outBias: true, qkNorm: false, slidingWindow: null, scale: 0.25 },
    mlp: { kind: 'plain', activation: 'gelu_tanh', intermediateSize: 256, bias: true },
    tiedEmbeddings: true,
  },
  'shakespeare-5m': {
    ...llamaSpec,
    vocabSize: 1024,
    hiddenSize: 256,
    numLayers: 6,
    contextLength: 512,
    positions: { kind: 'rope', theta: 10000, rotaryDim: 32, scaling: null, frequencyPrecision: 'float32' },
    attention: { ...llamaSpec.attention, numHeads: 8, numKvHeads: 4, headDim: 32, scale: 1 / Math.sqrt(32) },
    mlp: { ...llamaSpec.mlp, intermediateSize: 704 },
    tiedEmbeddings: true,
    bosTokenId: 0,
  },
};

/** Loads every canonical weight and records which checkpoint tensors were read. */
async function loadAll(source: ModelSource): Promise<{ weights: Map<string, F32Tensor>; read: Set<string> }> {
  const read = new Set<string>();
  const readF32 = source.checkpoint.readF32.bind(source.checkpoint);
  source.checkpoint.readF32 = (name: string) => {
    read.add(name);
    return readF32(name);
  };
  const weights = new Map<string, F32Tensor>();
  for (const name of specWeightNames(source.spec)) {
    const tensor = await source.weight(name);
    assert.ok(tensor, `${name} loads`);
    weights.set(name, tensor);
  }
  return { weights, read };
}

for (const [fixture, expected] of Object.entries(EXPECTED_SPECS)) {
  test(`${fixture}: the spec matches config.json and every canonical weight loads with its shape`, { skip: skipFixtures }, async () => {
    const source = await openModelSource(join(fixtures, fixture), { warn: () => assert.fail('no warnings expected') });
    try {
      assert.deepEqual(source.spec, expected);
      const { weights, read } = await loadAll(source);
      assert.deepEqual([...read].sort(), [...source.checkpoint.tensors.keys()].sort(), 'every checkpoint tensor is used');
      assert.deepEqual(await source.weight('lmHead'), expected.tiedEmbeddings ? null : weights.get('lmHead'));
      assert.deepEqual(await source.weight('layers.0.o.bias'), expected.attention.outBias ? weights.get('layers.0.o.bias') : null);
    } finally {
      await source.close();
    }
  });
}

async function raw(source: ModelSource, name: string): Promise<F32Tensor> {
  return source.checkpoint.readF32(name);
}

test('llama weights are the checkpoint tensors, and llama-bf16 matches within bf16 rounding', { skip: skipFixtures }, async () => {
  const llama = await openModelSource(join(fixtures, 'hf-tiny/llama'));
  const bf16 = await openModelSource(join(fixtures, 'hf-tiny/llama-bf16'));
  try {
    assert.deepEqual(await llama.weight('layers.1.k.weight'), await raw(llama, 'model.layers.1.self_attn.k_proj.weight'));
    assert.deepEqual(await llama.weight('lmHead'), await raw(llama, 'lm_head.weight'));
    assert.deepEqual(await llama.weight('layers.0.mlpNorm.weight'), await raw(llama, 'model.layers.0.post_attention_layernorm.weight'));
    for (const name of specWeightNames(llama.spec)) {
      const a = (await llama.weight(name))!.data;
      const b = (await bf16.weight(name))!.data;
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= Math.abs(a[i]) * 2 ** -8, `${name}[${i}]`);
    }
  } finally {
    await llama.close();
    await bf16.close();
  }
});

test('qwen2 loads q/k/v biases; mpt splits Wqkv into thirds', { skip: skipFixtures }, async () => {
  const qwen = await openModelSource(join(fixtures, 'hf-tiny/qwen2'));
  const mpt = await openModelSource(join(fixtures, 'hf-tiny/mpt'));
  try {
    assert.deepEqual(await qwen.weight('layers.0.v.bias'), await raw(qwen, 'model.layers.0.self_attn.v_proj.bias'));
    const wqkv = await raw(mpt, 'transformer.blocks.1.attn.Wqkv.weight');
    const k = (await mpt.weight('layers.1.k.weight'))!;
    assert.deepEqual(k.data, wqkv.data.slice(64 * 64, 2 * 64 * 64));
    assert.deepEqual(await mpt.weight('layers.0.up.weight'), await raw(mpt, 'transformer.blocks.0.ffn.up_proj.weight'));
  } finally {
    await qwen.close();
    await mpt.close();
  }
});

test('gpt2 transposes Conv1D weights and splits c_attn along its output', { skip: skipFixtures }, async () => {
  const source = await openModelSource(join(fixtures, 'hf-tiny/gpt2'));
  try {
    const cAttn = await raw(source, 'transformer.h.0.attn.c_attn.weight');
    assert.deepEqual(cAttn.shape, [64, 192]);
    assert.deepEqual(await source.weight('layers.0.q.weight'), transpose2d(sliceColumns(cAttn, 0, 64)));
    assert.deepEqual(await source.weight('layers.0.v.weight'), transpose2d(sliceColumns(cAttn, 128, 64)));
    const q = (await source.weight('layers.0.q.weight'))!;
    assert.equal(q.data[1 * 64 + 2], cAttn.data[2 * 192 + 1], 'q[out=1][in=2] = c_attn[in=2][out=1]');
    const bias = await raw(source, 'transformer.h.0.attn.c_attn.bias');
    assert.deepEqual((await source.weight('layers.0.k.bias'))!.data, bias.data.slice(64, 128));
    assert.deepEqual(await source.weight('layers.1.down.weight'), transpose2d(await raw(source, 'transformer.h.1.mlp.c_proj.weight')));
    assert.deepEqual(await source.weight('positionEmbed'), await raw(source, 'transformer.wpe.weight'));
  } finally {
    await source.close();
  }
});

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-arch-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const tinyLlamaConfig = {
  model_type: 'llama',
  vocab_size: 8,
  hidden_size: 8,
  intermediate_size: 12,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  max_position_embeddings: 32,
  rms_norm_eps: 1e-5,
  tie_word_embeddings: true,
  bos_token_id: 1,
  eos_token_id: 2,
};

function tinyLlamaTensors(prefix: string): Record<string, number[]> {
  return {
    [`${prefix}embed_tokens.weight`]: [8, 8],
    [`${prefix}norm.weight`]: [8],
    [`${prefix}layers.0.input_layernorm.weight`]: [8],
    [`${prefix}layers.0.post_attention_layernorm.weight`]: [8],
    [`${prefix}layers.0.self_attn.q_proj.weight`]: [8, 8],
    [`${prefix}layers.0.self_attn.k_proj.weight`]: [4, 8],
    [`${prefix}layers.0.self_attn.v_proj.weight`]: [4, 8],
    [`${prefix}layers.0.self_attn.o_proj.weight`]: [8, 8],
    [`${prefix}layers.0.mlp.gate_proj.weight`]: [12, 8],
    [`${prefix}layers.0.mlp.up_proj.weight`]: [12, 8],
    [`${prefix}layers.0.mlp.down_proj.weight`]: [8, 12],
  };
}

test('loads checkpoints saved without the model. prefix, and prefers generation_config.json token ids', async (t) => {
  const dir = await tempDir(t);
  const written = await writeTestModel(dir, {
    config: tinyLlamaConfig,
    generationConfig: { bos_token_id: 1, eos_token_id: [2, 5], pad_token_id: 3 },
    tensors: tinyLlamaTensors(''),
  });
  const source = await openModelSource(dir);
  try {
    assert.deepEqual(source.spec.eosTokenIds, [2, 5]);
    assert.equal(source.spec.padTokenId, 3);
    assert.deepEqual(await source.weight('layers.0.k.weight'), written['layers.0.self_attn.k_proj.weight']);
    assert.deepEqual(await source.weight('embed'), written['embed_tokens.weight']);
    assert.equal(await source.weight('lmHead'), null);
  } finally {
    await source.close();
  }
});

async function assertConfigError(dir: string, pattern: RegExp): Promise<void> {
  await assert.rejects(openModelSource(dir), (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

test('bad model folders fail with errors that name the file and the problem', async (t) => {
  const dir = await tempDir(t);
  await assertConfigError(dir, /config\.json does not exist\. A Hugging Face model folder needs its config\.json/);

  await writeFile(join(dir, 'config.json'), '{\n  "model_type": "llama",\n  "hidden_size": 8,\n}\n');
  await assertConfigError(dir, /config\.json is not valid JSON: .* at line 4, column 1\./);

  await writeFile(join(dir, 'config.json'), '{"model_type": ');
  await assertConfigError(dir, /config\.json is not valid JSON: Unexpected end of JSON input at the end of the file/);

  await writeFile(join(dir, 'config.json'), JSON.stringify({ ...tinyLlamaConfig, model_type: 'falcon' }));
  await assertConfigError(dir, /model_type "falcon" is not supported by Hearth \(supported: llama, mistral, qwen2, qwen3, phi3, gemma, mpt, bloom, gpt_neox, gpt2\)/);

  await writeFile(join(dir, 'config.json'), JSON.stringify({ hidden_size: 8 }));
  await assertConfigError(dir, /has no "model_type" string/);

  const { hidden_size: _hidden, ...withoutHidden } = tinyLlamaConfig;
  await writeFile(join(dir, 'config.json'), JSON.stringify({ ...withoutHidden, num_attention_heads: 'two' }));
  await assertConfigError(dir, /is not a valid llama config:\n {2}- hidden_size: Invalid input: expected number, received undefined\n {2}- num_attention_heads: Invalid input: expected number, received string/);

  await writeFile(join(dir, 'config.json'), JSON.stringify({ ...tinyLlamaConfig, rope_scaling: { rope_type: 'yarn', factor: 4 } }));
  await assertConfigError(dir, /config\.json: RoPE scaling type "yarn" \(supported: default, linear, llama3\) is not supported by Hearth/);

  await writeFile(join(dir, 'config.json'), JSON.stringify(tinyLlamaConfig));
  await writeFile(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: 'end' }));
  await assertConfigError(dir, /generation_config\.json has invalid fields:\n {2}- eos_token_id/);
});

test('a missing or wrongly shaped tensor is refused when the folder is opened, with a CheckpointError naming it', async (t) => {
  const dir = await tempDir(t);
  const missing = tinyLlamaTensors('model.');
  delete missing['model.layers.0.mlp.up_proj.weight'];
  await writeTestModel(dir, { config: tinyLlamaConfig, tensors: missing });
  await assert.rejects(openModelSource(dir), (e: unknown) => e instanceof CheckpointError && /no tensor "model\.layers\.0\.mlp\.up_proj\.weight" or "layers\.0\.mlp\.up_proj\.weight"/.test(e.message));

  const misshapen = tinyLlamaTensors('model.');
  misshapen['model.layers.0.self_attn.k_proj.weight'] = [8, 8];
  await writeTestModel(dir, { config: tinyLlamaConfig, tensors: misshapen });
  await assert.rejects(openModelSource(dir), (e: unknown) => {
    assert.ok(e instanceof CheckpointError);
    assert.match(e.message, /model\.safetensors: tensor "model\.layers\.0\.self_attn\.k_proj\.weight" has shape \[8, 8\] \(layers\.0\.k\.weight\), but .*config\.json implies \[4, 8\]: its dimension 0 is 8 where config\.json's key\/value heads × head_dim \(1 × 4\) gives 4/);
    return true;
  });

  await writeTestModel(dir, { config: tinyLlamaConfig, tensors: tinyLlamaTensors('model.') });
  const source = await openModelSource(dir);
  try {
    assert.deepEqual((await source.weight('layers.0.k.weight'))?.shape, [4, 8]);
  } finally {
    await source.close();
  }
});
