// The trainer against PEFT on shakespeare-5m (../shared/fixtures/lora): from adapter_init on the
// reference batch, the loss at each of 4 AdamW steps, every gradient at step 0, the adapter after
// 3 steps and the merged q_proj.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openModelSource, type ModelSource } from '../engine/architectures/model-source.ts';
import { AdamW, DEFAULT_ADAMW } from './adamw.ts';
import { loraParameters, loraScaling, type LoraAdapter } from './lora-adapter.ts';
import { mergeModuleWeight } from './merged-weights.ts';
import { readPeftAdapter } from './peft-adapter-files.ts';
import { FIXTURES_MISSING, LORA_FIXTURES, readGradReference, SHAKESPEARE_DIR, type GradReference } from './test/reference-batch.ts';
import { writeTrainingGraph } from './training-graph.ts';
import { TrainingSession, type GraphRunResult } from './training-session.ts';

const TOLERANCE = 1e-4;

describe('LoRA training against PEFT (shakespeare-5m, r=4, q_proj/v_proj)', { skip: FIXTURES_MISSING }, () => {
  let dir: string;
  let source: ModelSource;
  let reference: GradReference;
  let adapter: LoraAdapter;
  let params: Map<string, Float32Array>;
  const runs: GraphRunResult[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-lora-ref-'));
    reference = await readGradReference();
    source = await openModelSource(SHAKESPEARE_DIR);
    adapter = await readPeftAdapter(join(LORA_FIXTURES, 'adapter_init'), source.spec);
    const graph = await writeTrainingGraph(source, dir, 'train.onnx', {
      r: adapter.settings.r,
      scaling: loraScaling(adapter.settings),
      targets: adapter.modules.map((m) => m.path),
      dropout: false,
      gradients: true,
    });
    const session = await TrainingSession.open(graph);
    params = new Map(loraParameters(adapter).map((p) => [p.name, p.data]));
    const optimizer = new AdamW({ ...DEFAULT_ADAMW });
    for (let step = 0; step < 4; step++) {
      const run = await session.run(reference.batch, params);
      runs.push(run);
      if (step < 3) optimizer.update(params, run.grads, 1e-2);
    }
    await session.release();
  });

  after(async () => {
    await source?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gives the loss of each of 4 AdamW steps', () => {
    reference.lossPerStep.forEach((expected, step) => {
      assert.ok(Math.abs(runs[step].loss - expected) < TOLERANCE, `step ${step}: loss ${runs[step].loss}, PEFT ${expected}`);
    });
  });

  it('gives every LoRA gradient at step 0 (relative to the tensor’s largest)', () => {
    assert.equal(reference.grad0.size, 24);
    for (const [name, expected] of reference.grad0) {
      const actual = runs[0].grads.get(name);
      assert.ok(actual, `no gradient for ${name}`);
      const scale = Math.max(...expected.map(Math.abs));
      const worst = Math.max(...expected.map((e, i) => Math.abs(e - actual[i])));
      assert.ok(worst / scale < TOLERANCE, `${name}: worst relative error ${(worst / scale).toExponential(2)}`);
    }
  });

  it('gives the adapter after 3 AdamW steps', () => {
    // Adam divides each gradient by its own RMS, so an element whose gradient is at float32
    // noise level (|g₀| < 1e-6; one of 21,504 here, g₀ = 4e-8) takes a full step in a noisy
    // direction in both implementations: those get a looser bound.
    let checked = 0;
    for (const [name, expected] of reference.after3) {
      const actual = params.get(name)!;
      const grad0 = reference.grad0.get(name)!;
      expected.forEach((e, i) => {
        const bound = Math.abs(grad0[i]) < 1e-6 ? 1e-3 : TOLERANCE;
        assert.ok(Math.abs(e - actual[i]) < bound, `${name}[${i}]: ${actual[i]}, PEFT ${e}`);
        checked++;
      });
    }
    assert.equal(checked, 21504);
  });

  it('merges W + (alpha/r)·B·A as PEFT does (q_proj of layer 0)', async () => {
    const base = await source.weight('layers.0.q.weight');
    const module = adapter.modules.find((m) => m.path === 'model.layers.0.self_attn.q_proj')!;
    const name = 'model.layers.0.self_attn.q_proj';
    // From PEFT's own adapter after 3 steps: the merge itself, exactly.
    const fromReference = mergeModuleWeight(base!.data, { ...module, a: reference.after3.get(`${name}.lora_A.weight`)!, b: reference.after3.get(`${name}.lora_B.weight`)! }, 4, 2);
    const worstExact = Math.max(...reference.mergedQProj0.map((e, i) => Math.abs(e - fromReference[i])));
    assert.ok(worstExact < 1e-6, `merge of PEFT's adapter: worst error ${worstExact}`);
    // From the adapter trained here.
    const trained = mergeModuleWeight(base!.data, { ...module, a: params.get(`${name}.lora_A.weight`)!, b: params.get(`${name}.lora_B.weight`)! }, 4, 2);
    const worst = Math.max(...reference.mergedQProj0.map((e, i) => Math.abs(e - trained[i])));
    assert.ok(worst < TOLERANCE, `merged q_proj: worst error ${worst}`);
  });
});
