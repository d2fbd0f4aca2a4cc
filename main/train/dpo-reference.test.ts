// DPO against TRL's DPOTrainer on shakespeare-5m (main/train/test/dpo-reference.*, made by hand
// with make-dpo-reference.py): from ../shared/fixtures/lora/adapter_init (its B is non-zero, so
// the policy differs from the reference, the base with the adapter off), on fixed batches of 4
// pairs in TRL's two formats: the same tokens, the summed completion log-probabilities of policy
// and reference, the loss, and every LoRA gradient at step 0, within 1e-4.
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { SafetensorsFile } from '../engine/checkpoint/safetensors-file.ts';
import { openModelSource, type ModelSource } from '../engine/architectures/model-source.ts';
import { loadTokenizer } from '../engine/tokenizer/load-tokenizer.ts';
import type { TextTokenizer } from '../engine/tokenizer/text-tokenizer.ts';
import { IGNORE_INDEX } from './causal-lm-loss.ts';
import { adapterOff, collatePairs, completionLogps } from './dpo-objective.ts';
import { loraParameters, loraScaling, type LoraAdapter } from './lora-adapter.ts';
import { readPeftAdapter } from './peft-adapter-files.ts';
import { parsePreferenceRow, type PreferenceLine } from './preference-dataset.ts';
import { tokenizePreferences, type PreferencePair } from './preference-examples.ts';
import { FIXTURES_MISSING, LORA_FIXTURES, SHAKESPEARE_DIR } from './test/reference-batch.ts';
import { writeTrainingGraph } from './training-graph.ts';
import { TrainingSession, type GraphRunResult } from './training-session.ts';

const TOLERANCE = 1e-4;
const REFERENCE = fileURLToPath(new URL('./test/dpo-reference', import.meta.url));

interface ReferenceJson {
  beta: number;
  batches: Record<'conversational' | 'standard', { rows: unknown[]; loss: number; grads: number }>;
}

interface Computed {
  pairs: PreferencePair[];
  refLogps: Float32Array;
  policyLogps: Float32Array;
  run: GraphRunResult;
}

describe('DPO against TRL (shakespeare-5m, adapter_init, beta 0.1)', { skip: FIXTURES_MISSING }, () => {
  let dir: string;
  let source: ModelSource;
  let tokenizer: TextTokenizer;
  let adapter: LoraAdapter;
  let json: ReferenceJson;
  let file: SafetensorsFile;
  const computed = new Map<string, Computed>();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-dpo-ref-'));
    json = JSON.parse(await readFile(`${REFERENCE}.json`, 'utf8')) as ReferenceJson;
    file = await SafetensorsFile.open(`${REFERENCE}.safetensors`);
    source = await openModelSource(SHAKESPEARE_DIR);
    tokenizer = await loadTokenizer(SHAKESPEARE_DIR);
    adapter = await readPeftAdapter(join(LORA_FIXTURES, 'adapter_init'), source.spec);
    const options = { r: adapter.settings.r, scaling: loraScaling(adapter.settings), targets: adapter.modules.map((m) => m.path), dropout: false };
    const trainer = await TrainingSession.open(await writeTrainingGraph(source, dir, 'train.onnx', { ...options, gradients: true, objective: 'dpo' }));
    const evaluator = await TrainingSession.open(await writeTrainingGraph(source, dir, 'eval.onnx', { ...options, gradients: false }));
    const params = new Map(loraParameters(adapter).map((p) => [p.name, p.data]));
    const padTokenId = tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0;
    for (const [name, batch] of Object.entries(json.batches)) {
      const lines: PreferenceLine[] = batch.rows.map((row, i) => {
        const parsed = parsePreferenceRow(JSON.stringify(row));
        assert.ok(typeof parsed !== 'string', `${name} row ${i}: ${String(parsed)}`);
        return { line: i + 1, row: parsed };
      });
      const { pairs } = tokenizePreferences(tokenizer, lines, 1024);
      const ref = await completionLogps(evaluator, pairs, adapterOff(params), pairs.length, padTokenId);
      const policy = await completionLogps(evaluator, pairs, params, pairs.length, padTokenId);
      const flat = (m: Map<PreferencePair, [number, number]>) => Float32Array.from([...pairs.map((p) => m.get(p)![0]), ...pairs.map((p) => m.get(p)![1])]);
      const dpo = collatePairs(pairs, padTokenId, ref, json.beta);
      const run = await trainer.run(dpo.batch, params, undefined, dpo.feeds);
      computed.set(name, { pairs, refLogps: flat(ref), policyLogps: flat(policy), run });
    }
    await trainer.release();
    await evaluator.release();
  });

  after(async () => {
    await file?.close();
    await source?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const name of ['conversational', 'standard'] as const) {
    it(`${name} pairs: the same tokens and completion masks as TRL's collated batch`, async () => {
      const { pairs } = computed.get(name)!;
      const ids = await file.readTyped(`${name}.input_ids`);
      const attention = (await file.readTyped(`${name}.attention_mask`)).data as BigInt64Array;
      const completion = (await file.readTyped(`${name}.completion_mask`)).data as BigInt64Array;
      const [rows, length] = ids.shape;
      const ours = [...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)];
      assert.equal(ours.length, rows);
      ours.forEach((row, r) => {
        const real = Array.from(attention.slice(r * length, (r + 1) * length)).filter((m) => m === 1n).length;
        assert.equal(row.ids.length, real, `row ${r}: length`);
        assert.deepEqual(row.ids, Array.from((ids.data as BigInt64Array).slice(r * length, r * length + real), Number), `row ${r}: ids`);
        assert.deepEqual(row.labels.map((l) => (l === IGNORE_INDEX ? 0 : 1)), Array.from(completion.slice(r * length, r * length + real), Number), `row ${r}: completion mask`);
      });
    });

    it(`${name} pairs: summed completion log-probabilities of policy and reference (adapter off)`, async () => {
      const { refLogps, policyLogps, run } = computed.get(name)!;
      const expectRef = (await file.readF32(`${name}.ref_logps`)).data;
      const expectPolicy = (await file.readF32(`${name}.policy_logps`)).data;
      expectRef.forEach((e, i) => assert.ok(Math.abs(refLogps[i] - e) < TOLERANCE, `reference row ${i}: ${refLogps[i]}, TRL ${e}`));
      expectPolicy.forEach((e, i) => assert.ok(Math.abs(policyLogps[i] - e) < TOLERANCE, `policy row ${i}: ${policyLogps[i]}, TRL ${e}`));
      // The training graph's own row sums are the policy's.
      expectPolicy.forEach((e, i) => assert.ok(Math.abs(-run.rowNll[i] - e) < TOLERANCE, `training graph row ${i}: ${-run.rowNll[i]}, TRL ${e}`));
    });

    it(`${name} pairs: the sigmoid loss`, () => {
      const { run } = computed.get(name)!;
      const expected = json.batches[name].loss;
      assert.ok(Math.abs(expected - Math.LN2) > 1e-3, 'the reference batch is not at the trivial log 2');
      assert.ok(Math.abs(run.loss - expected) < TOLERANCE, `loss ${run.loss}, TRL ${expected}`);
    });
  }

  it('every LoRA gradient at step 0 (relative to the tensor’s largest)', async () => {
    const { run } = computed.get('conversational')!;
    const prefix = 'conversational.grad0.';
    const names = [...file.tensors.keys()].filter((k) => k.startsWith(prefix));
    assert.equal(names.length, 24);
    for (const key of names) {
      const name = key.slice(prefix.length);
      const expected = (await file.readF32(key)).data;
      const actual = run.grads.get(name);
      assert.ok(actual, `no gradient for ${name}`);
      const scale = Math.max(...expected.map(Math.abs));
      assert.ok(scale > 0, `${name}: TRL's gradient is zero`);
      const worst = Math.max(...expected.map((e, i) => Math.abs(e - actual[i])));
      assert.ok(worst / scale < TOLERANCE, `${name}: worst relative error ${(worst / scale).toExponential(2)}`);
    }
  });
});
