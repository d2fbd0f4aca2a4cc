// LoRA adapters on the fused and Conv1D families (phi3, gpt2, gpt_neox, bloom, mpt) against PEFT:
// the adapters in test/family-lora were made by PEFT (test/make-family-lora-reference.py) over
// the tiny models, with the logits PEFT computed with them applied. Hearth must read them, give
// PEFT's logits when it builds the base with the adapter folded in and when it merges the
// adapter into a new folder, write adapters with PEFT's module names and shapes, and apply a
// random adapter of its own exactly as a merge done here by hand, tensor by tensor.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { openModelSource } from '../engine/architectures/model-source.ts';
import { buildModel } from '../engine/builder/build-model.ts';
import { openCheckpoint, SINGLE_FILE } from '../engine/checkpoint/safetensors-checkpoint.ts';
import { SafetensorsFile } from '../engine/checkpoint/safetensors-file.ts';
import { writeSafetensors, type TensorToWrite } from '../engine/checkpoint/safetensors-writer.ts';
import { computeLogits } from '../engine/runtime/logits.ts';
import { openModel } from '../engine/runtime/model-session.ts';
import { SeededRandom } from '../engine/runtime/seeded-random.ts';
import { buildAdaptedModel } from './adapted-build.ts';
import { AdamW, DEFAULT_ADAMW } from './adamw.ts';
import { initLoraAdapter, loraParameters, loraScaling, type LoraAdapter } from './lora-adapter.ts';
import { layerModules, parseFamilyTargetModules } from './lora-targets.ts';
import { mergeAdapterIntoFolder } from './merge-adapter-folder.ts';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, readPeftAdapter, writePeftAdapter } from './peft-adapter-files.ts';
import { SHARED_DIR } from './test/reference-batch.ts';
import { writeTrainingGraph } from './training-graph.ts';
import { TrainingSession, type TokenBatch } from './training-session.ts';

const TOLERANCE = 1e-4;
const REFERENCES = fileURLToPath(new URL('./test/family-lora/', import.meta.url));
const TESTDATA = fileURLToPath(new URL('../engine/architectures/testdata/', import.meta.url));
const FAMILIES = [
  { family: 'phi3', base: join(TESTDATA, 'phi3') },
  { family: 'gpt2', base: join(SHARED_DIR, 'fixtures/hf-tiny/gpt2') },
  { family: 'gpt_neox', base: join(TESTDATA, 'gpt_neox') },
  { family: 'bloom', base: join(TESTDATA, 'bloom') },
  { family: 'mpt', base: join(SHARED_DIR, 'fixtures/hf-tiny/mpt') },
];

async function logitsOf(builtDir: string, ids: number[]): Promise<Float32Array> {
  const model = await openModel(builtDir);
  try {
    return await computeLogits(model, ids);
  } finally {
    await model.release();
  }
}

function maxDifference(x: Float32Array, y: Float32Array): number {
  assert.equal(x.length, y.length);
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
  return max;
}

/** Tensor names and shapes of a safetensors file. */
async function tensorShapes(path: string): Promise<Record<string, number[]>> {
  const file = await SafetensorsFile.open(path);
  try {
    return Object.fromEntries([...file.tensors].map(([name, info]) => [name, info.shape]));
  } finally {
    await file.close();
  }
}

/**
 * The base folder with the adapter merged in, computed here on its own: for each module, the
 * checkpoint's tensor plus scaling·B·A, transposed for GPT-2's Conv1D ([in, out]) tensors.
 */
async function mergeByHand(baseDir: string, adapter: LoraAdapter, conv1d: boolean, outDir: string): Promise<void> {
  const checkpoint = await openCheckpoint(baseDir);
  const tensors: Record<string, TensorToWrite> = {};
  try {
    for (const name of checkpoint.tensors.keys()) {
      const tensor = await checkpoint.readF32(name);
      tensors[name] = { dtype: 'F32', shape: tensor.shape, data: tensor.data };
    }
    const scaling = loraScaling(adapter.settings);
    const { r } = adapter.settings;
    for (const m of adapter.modules) {
      const name = [`${m.path}.weight`, m.path.slice(m.path.indexOf('.') + 1) + '.weight'].find((candidate) => candidate in tensors);
      assert.ok(name, `${m.path} is in the checkpoint`);
      const data = tensors[name].data as Float32Array;
      for (let o = 0; o < m.outFeatures; o++) {
        for (let i = 0; i < m.inFeatures; i++) {
          let sum = 0;
          for (let k = 0; k < r; k++) sum += m.b[o * r + k] * m.a[k * m.inFeatures + i];
          data[conv1d ? i * m.outFeatures + o : o * m.inFeatures + i] += scaling * sum;
        }
      }
    }
  } finally {
    await checkpoint.close();
  }
  await mkdir(outDir, { recursive: true });
  await writeSafetensors(join(outDir, SINGLE_FILE), tensors, { format: 'pt' });
  for (const file of ['config.json', 'generation_config.json']) if (existsSync(join(baseDir, file))) await copyFile(join(baseDir, file), join(outDir, file));
}

/** Mean next-token NLL of `ids` under `logits` [ids.length, vocab], as the causal-LM loss scores it. */
function meanNll(logits: Float32Array, ids: number[], vocab: number): number {
  let total = 0;
  for (let t = 0; t + 1 < ids.length; t++) {
    const row = logits.subarray(t * vocab, (t + 1) * vocab);
    const max = Math.max(...row);
    let sum = 0;
    for (const value of row) sum += Math.exp(value - max);
    total += Math.log(sum) + max - row[ids[t + 1]];
  }
  return total / (ids.length - 1);
}

function batchOf(rows: number[][]): TokenBatch {
  const flat = rows.flat().map(BigInt);
  return { rows: rows.length, length: rows[0].length, inputIds: BigInt64Array.from(flat), attentionMask: new BigInt64Array(flat.length).fill(1n), labels: BigInt64Array.from(flat) };
}

for (const { family, base } of FAMILIES) {
  const skip = existsSync(join(base, 'config.json')) ? false : `the tiny ${family} model is not at ${base} (../shared beside the checkout)`;
  describe(`LoRA on ${family} against PEFT`, { skip }, () => {
    const peftDir = join(REFERENCES, family);
    let dir: string;
    let ids: number[];
    let peftLogits: Float32Array;
    let peftLoss: number;
    const peftGrads = new Map<string, Float32Array>();

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), `hearth-family-lora-${family}-`));
      const file = await SafetensorsFile.open(join(peftDir, 'logits.safetensors'));
      try {
        ids = Array.from((await file.readTyped('input_ids')).data as BigInt64Array, Number);
        peftLogits = (await file.readF32('logits')).data;
        peftLoss = (await file.readF32('loss')).data[0];
        for (const name of file.tensors.keys()) if (name.startsWith('grad.')) peftGrads.set(name, (await file.readF32(name)).data);
      } finally {
        await file.close();
      }
    });

    after(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it("gives PEFT's logits with PEFT's adapter folded into the build, and after merging it into a folder", async () => {
      await buildAdaptedModel(base, peftDir, join(dir, 'adapted'), { precision: 'fp32' });
      const adapted = await logitsOf(join(dir, 'adapted'), ids);
      const baseBuild = await buildModel(base, join(dir, 'base'), { precision: 'fp32' });
      assert.ok(baseBuild);
      const baseLogits = await logitsOf(join(dir, 'base'), ids);
      assert.ok(maxDifference(baseLogits, peftLogits) > 0.1, 'the adapter changes the logits (else the check below proves nothing)');
      const adaptedDifference = maxDifference(adapted, peftLogits);
      assert.ok(adaptedDifference < TOLERANCE, `adapted build: max |logit - PEFT| = ${adaptedDifference}`);

      await mergeAdapterIntoFolder(base, peftDir, join(dir, 'merged'));
      await buildModel(join(dir, 'merged'), join(dir, 'merged-build'), { precision: 'fp32' });
      const mergedDifference = maxDifference(await logitsOf(join(dir, 'merged-build'), ids), peftLogits);
      assert.ok(mergedDifference < TOLERANCE, `merged folder: max |logit - PEFT| = ${mergedDifference}`);
    });

    it('writes the module names, shapes and config PEFT wrote', async () => {
      const source = await openModelSource(base);
      try {
        const peft = await readPeftAdapter(peftDir, source.spec);
        // PEFT's adapter, read and written again, is the same files byte for byte (but for
        // init_lora_weights, false only because the reference asked PEFT for random B).
        await writePeftAdapter(join(dir, 'again'), peft, { baseModel: `hearth-testdata/${family}` });
        const peftConfigText = (await readFile(join(peftDir, ADAPTER_CONFIG_FILE), 'utf8')).replace('"init_lora_weights": false', '"init_lora_weights": true');
        assert.equal(await readFile(join(dir, 'again', ADAPTER_CONFIG_FILE), 'utf8'), peftConfigText);
        assert.deepEqual(await readFile(join(dir, 'again', ADAPTER_WEIGHTS_FILE)), await readFile(join(peftDir, ADAPTER_WEIGHTS_FILE)));
        // A fresh adapter of Hearth's own on all-linear has PEFT's tensors and fan_in_fan_out.
        const own = initLoraAdapter(source.spec, { r: 2, alpha: 6, dropout: 0, targetModules: parseFamilyTargetModules(source.spec, 'all-linear') }, 1);
        await writePeftAdapter(join(dir, 'own'), own);
        assert.deepEqual(await tensorShapes(join(dir, 'own', ADAPTER_WEIGHTS_FILE)), await tensorShapes(join(peftDir, ADAPTER_WEIGHTS_FILE)));
        const ownConfig = JSON.parse(await readFile(join(dir, 'own', ADAPTER_CONFIG_FILE), 'utf8'));
        const peftConfig = JSON.parse(await readFile(join(peftDir, ADAPTER_CONFIG_FILE), 'utf8'));
        assert.equal(ownConfig.fan_in_fan_out, peftConfig.fan_in_fan_out);
        assert.deepEqual([...ownConfig.target_modules].sort(), [...peftConfig.target_modules].sort());
      } finally {
        await source.close();
      }
    });

    it('applies a random adapter of its own as a merge done by hand does', async () => {
      const source = await openModelSource(base);
      let adapter: LoraAdapter;
      let conv1d: boolean;
      try {
        adapter = initLoraAdapter(source.spec, { r: 3, alpha: 12, dropout: 0, targetModules: parseFamilyTargetModules(source.spec, 'all-linear') }, 5);
        conv1d = layerModules(source.spec, 0).some((m) => m.conv1d);
      } finally {
        await source.close();
      }
      const random = new SeededRandom(9);
      for (const m of adapter.modules) for (let i = 0; i < m.b.length; i++) m.b[i] = (random.next() * 2 - 1) * 0.5;
      await writePeftAdapter(join(dir, 'random'), adapter);
      await buildAdaptedModel(base, join(dir, 'random'), join(dir, 'random-adapted'), { precision: 'fp32' });
      await mergeByHand(base, adapter, conv1d, join(dir, 'by-hand'));
      await buildModel(join(dir, 'by-hand'), join(dir, 'by-hand-build'), { precision: 'fp32' });
      const byHand = await logitsOf(join(dir, 'by-hand-build'), ids);
      assert.ok(maxDifference(byHand, await logitsOf(join(dir, 'base'), ids)) > 0.1, 'the random adapter changes the logits');
      const difference = maxDifference(await logitsOf(join(dir, 'random-adapted'), ids), byHand);
      assert.ok(difference < TOLERANCE, `adapted build vs merged by hand: max |logit difference| = ${difference}`);
    });

    it("computes PEFT's loss and every LoRA gradient with PEFT's adapter in the training graph (fused modules share A, take their rows of B)", async () => {
      const source = await openModelSource(base);
      try {
        const adapter = await readPeftAdapter(peftDir, source.spec);
        const graph = await writeTrainingGraph(source, join(dir, 'loss-graph'), 'train.onnx', {
          r: adapter.settings.r,
          scaling: loraScaling(adapter.settings),
          targets: adapter.modules.map((m) => m.path),
          dropout: false,
          gradients: true,
        });
        const session = await TrainingSession.open(graph);
        try {
          const run = await session.run(batchOf([ids]), new Map(loraParameters(adapter).map((p) => [p.name, p.data])));
          assert.ok(Math.abs(meanNll(peftLogits, ids, source.spec.vocabSize) - peftLoss) < TOLERANCE, 'the reference loss is the mean NLL of its logits');
          assert.ok(Math.abs(run.loss - peftLoss) < TOLERANCE, `loss ${run.loss}, PEFT ${peftLoss}`);
          assert.equal(graph.parameters.length, peftGrads.size);
          for (const p of graph.parameters) {
            const expected = peftGrads.get(`grad.${p.name}`);
            assert.ok(expected, `PEFT has a gradient for ${p.name}`);
            const difference = maxDifference(run.grads.get(p.name)!, expected);
            assert.ok(difference < TOLERANCE, `${p.name}: max |gradient - PEFT| = ${difference}`);
          }
        } finally {
          await session.release();
        }
      } finally {
        await source.close();
      }
    });

    it('lowers the loss of a tiny dataset in a few AdamW steps on every linear layer', async () => {
      const source = await openModelSource(base);
      try {
        const adapter = initLoraAdapter(source.spec, { r: 4, alpha: 8, dropout: 0, targetModules: parseFamilyTargetModules(source.spec, 'all-linear') }, 11);
        const graph = await writeTrainingGraph(source, join(dir, 'train-graph'), 'train.onnx', {
          r: 4,
          scaling: loraScaling(adapter.settings),
          targets: adapter.modules.map((m) => m.path),
          dropout: false,
          gradients: true,
        });
        const session = await TrainingSession.open(graph);
        try {
          const batch = batchOf([
            [1, 40, 41, 42, 43, 44, 45, 46],
            [1, 40, 41, 42, 43, 44, 45, 46],
          ]);
          const params = new Map(loraParameters(adapter).map((p) => [p.name, p.data]));
          const optimizer = new AdamW({ ...DEFAULT_ADAMW });
          const losses: number[] = [];
          for (let step = 0; step < 6; step++) {
            const run = await session.run(batch, params);
            losses.push(run.loss);
            optimizer.update(params, run.grads, 2e-2);
          }
          assert.ok(losses[5] < losses[0] - 0.2, `loss per step: ${losses.map((loss) => loss.toFixed(4)).join(', ')}`);
        } finally {
          await session.release();
        }
      } finally {
        await source.close();
      }
    });
  });
}
