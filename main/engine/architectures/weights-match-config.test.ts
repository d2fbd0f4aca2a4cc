// The header-only check that a checkpoint fits its config.json, across the architectures with
// fused projections (BLOOM, GPT-NeoX, Phi-3, GPT-2, MPT) and the plain ones: each damaged copy of a
// transformers-written reference model is refused when opened, naming the file, the tensor and
// the mismatch; and the check reads no tensor data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckpointError } from '../checkpoint/checkpoint-error.ts';
import { SafetensorsFile } from '../checkpoint/safetensors-file.ts';
import { isShapeOnly, shapeOnlyTensor } from '../checkpoint/shape-only-tensor.ts';
import { tempModelDir } from './arch-test-support.ts';
import { openModelSource } from './model-source.ts';
import { addScalar, sliceColumns, sliceRows, takeInterleavedHeads, transpose2d } from './tensor-layout.ts';
import { writeTestModel } from './test-model-writer.ts';

const TESTDATA = fileURLToPath(new URL('./testdata/', import.meta.url));
const HF_TINY = fileURLToPath(new URL('../../../../shared/fixtures/hf-tiny/', import.meta.url));

/** A reference model's config and tensor shapes, to write back with one thing changed. */
async function readReference(dir: string): Promise<{ config: Record<string, unknown>; tensors: Record<string, number[]> }> {
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const file = await SafetensorsFile.open(join(dir, 'model.safetensors'));
  const tensors = Object.fromEntries([...file.tensors].map(([name, info]) => [name, info.shape]));
  await file.close();
  return { config, tensors };
}

interface Damage {
  name: string;
  reference: string;
  damage(model: { config: Record<string, unknown>; tensors: Record<string, number[]> }): void;
  error: RegExp;
}

const DAMAGES: Damage[] = [
  {
    name: 'BLOOM: fused query_key_value with two rows too few',
    reference: join(TESTDATA, 'bloom'),
    damage: (m) => (m.tensors['transformer.h.1.self_attention.query_key_value.weight'] = [190, 64]),
    error: /model\.safetensors: tensor "transformer\.h\.1\.self_attention\.query_key_value\.weight" has shape \[190, 64\] and holds layers\.1\.q\.weight, layers\.1\.k\.weight, layers\.1\.v\.weight together, but .*config\.json implies layers\.1\.q\.weight \[64 = heads × head_dim \(4 × 16\), 64 = hidden size\]/,
  },
  {
    name: 'GPT-NeoX: fused query_key_value bias of the wrong length',
    reference: join(TESTDATA, 'gpt_neox'),
    damage: (m) => (m.tensors['gpt_neox.layers.0.attention.query_key_value.bias'] = [380]),
    error: /tensor "gpt_neox\.layers\.0\.attention\.query_key_value\.bias" has shape \[380\] and holds layers\.0\.q\.bias, layers\.0\.k\.bias, layers\.0\.v\.bias together/,
  },
  {
    name: 'GPT-NeoX: untied embed_out missing',
    reference: join(TESTDATA, 'gpt_neox'),
    damage: (m) => delete m.tensors['embed_out.weight'],
    error: /has no tensor "embed_out\.weight" or "lm_head\.weight"/,
  },
  {
    name: 'Phi-3: fused qkv_proj that does not split into q, k and v',
    reference: join(TESTDATA, 'phi3'),
    damage: (m) => (m.tensors['model.layers.0.self_attn.qkv_proj.weight'] = [130, 64]),
    error: /tensor "model\.layers\.0\.self_attn\.qkv_proj\.weight" has shape \[130, 64\] and holds layers\.0\.q\.weight, layers\.0\.k\.weight, layers\.0\.v\.weight together/,
  },
  {
    name: 'Phi-3: fused gate_up_proj of the wrong size',
    reference: join(TESTDATA, 'phi3'),
    damage: (m) => (m.tensors['model.layers.1.mlp.gate_up_proj.weight'] = [350, 64]),
    error: /tensor "model\.layers\.1\.mlp\.gate_up_proj\.weight" has shape \[350, 64\] and holds layers\.1\.gate\.weight, layers\.1\.up\.weight together, but .*implies layers\.1\.gate\.weight \[176 = intermediate size, 64 = hidden size\]/,
  },
  {
    name: 'Phi-3: untied lm_head with fewer rows than vocab_size',
    reference: join(TESTDATA, 'phi3'),
    damage: (m) => (m.tensors['lm_head.weight'] = [500, 64]),
    error: /tensor "lm_head\.weight" has shape \[500, 64\] \(lmHead\), but .*config\.json implies \[512, 64\]: its dimension 0 is 500 where config\.json's vocab size gives 512/,
  },
  {
    name: 'Qwen3: q_norm of the wrong head_dim',
    reference: join(TESTDATA, 'qwen3'),
    damage: (m) => (m.tensors['model.layers.0.self_attn.q_norm.weight'] = [8]),
    error: /tensor "model\.layers\.0\.self_attn\.q_norm\.weight" has shape \[8\] \(layers\.0\.qNorm\.weight\), but .* implies \[16\]: its dimension 0 is 8 where config\.json's head_dim gives 16/,
  },
  {
    name: 'Gemma: k_proj against num_key_value_heads',
    reference: join(TESTDATA, 'gemma'),
    damage: (m) => (m.config.num_key_value_heads = 2),
    error: /tensor "model\.layers\.0\.self_attn\.k_proj\.weight" has shape \[16, 64\] \(layers\.0\.k\.weight\), but .* implies \[32, 64\]: its dimension 0 is 16 where config\.json's key\/value heads × head_dim \(2 × 16\) gives 32/,
  },
  {
    name: 'Gemma: a billion layers claimed against 2',
    reference: join(TESTDATA, 'gemma'),
    damage: (m) => (m.config.num_hidden_layers = 1_000_000_000),
    error: /config\.json gives num_hidden_layers = 1000000000, but the weights \(.*model\.safetensors\) hold 2 layers \(0 to 1\)\. If the weights are right, set num_hidden_layers to 2 in config\.json/,
  },
  {
    name: 'BLOOM: n_layer 1 against 2 layers of weights',
    reference: join(TESTDATA, 'bloom'),
    damage: (m) => (m.config.n_layer = 1),
    error: /config\.json gives n_layer = 1, but the weights \(.*\) hold 2 layers \(0 to 1\); the extra ones would be ignored\. If the weights are right, set n_layer to 2/,
  },
  {
    name: 'GPT-2: c_attn (Conv1D, stored [in, 3·out]) two columns short',
    reference: join(HF_TINY, 'gpt2'),
    damage: (m) => (m.tensors['transformer.h.0.attn.c_attn.weight'] = [64, 190]),
    error: /tensor "transformer\.h\.0\.attn\.c_attn\.weight" has shape \[64, 190\] and holds layers\.0\.q\.weight, layers\.0\.k\.weight, layers\.0\.v\.weight together/,
  },
  {
    name: 'GPT-2: learned position table shorter than n_positions',
    reference: join(HF_TINY, 'gpt2'),
    damage: (m) => (m.tensors['transformer.wpe.weight'] = [128, 64]),
    error: /tensor "transformer\.wpe\.weight" has shape \[128, 64\] \(positionEmbed\), but .* implies \[256, 64\]: its dimension 0 is 128 where config\.json's max positions gives 256/,
  },
  {
    name: 'MPT: Wqkv two rows too many',
    reference: join(HF_TINY, 'mpt'),
    damage: (m) => (m.tensors['transformer.blocks.1.attn.Wqkv.weight'] = [194, 64]),
    error: /tensor "transformer\.blocks\.1\.attn\.Wqkv\.weight" has shape \[194, 64\] and holds layers\.1\.q\.weight, layers\.1\.k\.weight, layers\.1\.v\.weight together/,
  },
];

for (const { name, reference, damage, error } of DAMAGES) {
  test(`refused when opened: ${name}`, { skip: existsSync(reference) ? false : `${reference} is absent` }, async (t) => {
    const model = await readReference(reference);
    const dir = await tempModelDir(t);
    await writeTestModel(dir, model);
    const intact = await openModelSource(dir);
    await intact.close();

    damage(model);
    await writeTestModel(dir, model);
    await assert.rejects(openModelSource(dir), (e: unknown) => {
      assert.ok(e instanceof CheckpointError, `expected a CheckpointError, got ${String(e)}`);
      assert.match(e.message, error);
      assert.match(e.message, /download the model again/);
      return true;
    });
  });
}

test('the check reads only headers: weights full of NaN open without a warning, and warn when read', async (t) => {
  const dir = await tempModelDir(t);
  await writeTestModel(dir, await readReference(join(TESTDATA, 'qwen3')));
  const path = join(dir, 'model.safetensors');
  const headerEnd = 8 + Number((await readFile(path)).readBigUInt64LE(0));
  const handle = await open(path, 'r+');
  const { size } = await handle.stat();
  await handle.write(Buffer.alloc(size - headerEnd, 0xff), 0, size - headerEnd, headerEnd);
  await handle.close();

  const warnings: string[] = [];
  const source = await openModelSource(dir, { warn: (message) => warnings.push(message) });
  t.after(() => source.close());
  assert.deepEqual(warnings, [], 'opening (and checking) read no tensor data');
  await source.weight('embed');
  assert.match(warnings[0], /NaN or infinite/);
});

test('the layout functions pass shape-only tensors through as shapes', () => {
  const fused = shapeOnlyTensor([12, 4]);
  for (const [result, shape] of [
    [sliceRows(fused, 4, 4), [4, 4]],
    [takeInterleavedHeads(fused, 2, 2, 1), [4, 4]],
    [transpose2d(fused), [4, 12]],
    [sliceColumns(fused, 1, 2), [12, 2]],
    [addScalar(fused, 1), [12, 4]],
  ] as const) {
    assert.ok(isShapeOnly(result));
    assert.deepEqual(result.shape, shape);
  }
  assert.equal(isShapeOnly({ data: new Float32Array(0), shape: [0] }), false, 'a real empty tensor is not shape-only');
});
