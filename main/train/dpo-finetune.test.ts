// A DPO job end to end on shakespeare-5m and the greet preference pairs: the loss starts at
// log 2 (the adapter starts as the base, which is the reference), the held-out pairs' implicit
// rewards separate, and the metrics carry TRL's rewards for train and eval.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runFinetune, type FinetuneEvent } from './finetune-job.ts';
import { ADAPTER_WEIGHTS_FILE } from './peft-adapter-files.ts';
import { FIXTURES_MISSING, LORA_FIXTURES, SHAKESPEARE_DIR } from './test/reference-batch.ts';
import type { MetricPoint } from './training-checkpoint.ts';

describe('runFinetune with method dpo (shakespeare-5m, greet preference pairs)', { skip: FIXTURES_MISSING }, () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hearth-dpo-test-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('prefers the chosen answers of held-out pairs after 12 steps, logging rewards for train and eval', async () => {
    const outDir = join(root, 'dpo');
    const events: FinetuneEvent[] = [];
    const result = await runFinetune({
      baseDir: SHAKESPEARE_DIR, dataPath: join(LORA_FIXTURES, 'greet_prefs_train.jsonl'), evalDataPath: join(LORA_FIXTURES, 'greet_prefs_test.jsonl'), outDir,
      method: 'dpo', beta: 0.1, r: 8, alpha: 16, targets: 'all-linear', learningRate: 2e-3, batchSize: 8, steps: 12, seed: 0, evalEvery: 6, checkpointEvery: 0, threads: 1,
      onEvent: (event) => events.push(event),
    });
    assert.equal(result.status, 'completed');
    assert.ok(existsSync(join(outDir, ADAPTER_WEIGHTS_FILE)));
    const steps = events.filter((e) => e.type === 'step');
    assert.equal(steps.length, 12);
    // Step 1 runs the base model as the policy: every margin is 0 (to float noise) and the loss is log 2.
    assert.ok(Math.abs(steps[0].loss - Math.LN2) < 1e-5, `first loss ${steps[0].loss}`);
    assert.ok(Math.abs(steps[0].preference!.rewardsMargin) < 1e-5, `first margin ${steps[0].preference!.rewardsMargin}`);
    const evals = events.filter((e) => e.type === 'eval');
    assert.deepEqual(evals.map((e) => e.step), [6, 12]);
    const final = result.preference!;
    assert.equal(final.pairs, 20);
    assert.ok(final.rewardsAccuracy >= 0.95, `held-out preference accuracy ${final.rewardsAccuracy}`);
    assert.ok(final.rewardsMargin > 1, `held-out margin ${final.rewardsMargin}`);
    assert.ok(final.rewardsRejected < 0, 'the rejected answers lose probability against the reference');
    assert.ok(Math.abs((result.evalLoss ?? NaN) - final.loss) < 1e-9);
    const points = (await readFile(join(outDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as MetricPoint);
    const trainPoint = points.find((p) => p.step === 12 && p.loss !== undefined)!;
    assert.ok(trainPoint.rewardsAccuracy !== undefined && trainPoint.rewardsChosen !== undefined && trainPoint.rewardsRejected !== undefined);
    assert.ok(Math.abs(trainPoint.rewardsMargin! - (trainPoint.rewardsChosen! - trainPoint.rewardsRejected!)) < 1e-9);
    const evalPoint = points.find((p) => p.step === 12 && p.evalLoss !== undefined)!;
    assert.equal(evalPoint.evalRewardsAccuracy, final.rewardsAccuracy);
    assert.equal(evalPoint.evalRewardsMargin, final.rewardsMargin);
  });

  it('a cancelled DPO job (with LoRA dropout) resumes to the adapter an uninterrupted run gives, and refuses another beta', async () => {
    const base = { baseDir: SHAKESPEARE_DIR, dataPath: join(LORA_FIXTURES, 'greet_prefs_train.jsonl'), method: 'dpo' as const, r: 2, dropout: 0.1, targets: 'q_proj', learningRate: 2e-3, batchSize: 4, steps: 6, checkpointEvery: 0, threads: 1 };
    const whole = await runFinetune({ ...base, outDir: join(root, 'whole') });
    const controller = new AbortController();
    const resumedDir = join(root, 'resumed');
    const cancelled = await runFinetune({ ...base, outDir: resumedDir, signal: controller.signal, onEvent: (e) => e.type === 'step' && e.step === 3 && controller.abort() });
    assert.equal(cancelled.status, 'cancelled');
    await assert.rejects(runFinetune({ ...base, outDir: resumedDir, beta: 0.5, resume: true }), /different beta/);
    const resumed = await runFinetune({ ...base, outDir: resumedDir, resume: true });
    assert.equal(resumed.status, 'completed');
    assert.ok(Math.abs(resumed.finalLoss! - whole.finalLoss!) < 1e-6, `final loss ${resumed.finalLoss} against ${whole.finalLoss}`);
    assert.deepEqual(resumed.preference, whole.preference);
    const weights = async (dir: string) => readFile(join(dir, ADAPTER_WEIGHTS_FILE));
    assert.ok((await weights(resumedDir)).equals(await weights(join(root, 'whole'))), 'the same adapter, byte for byte');
  });

  it('refuses a bad preference line before training, naming the line', async () => {
    const bad = join(root, 'bad.jsonl');
    await writeFile(bad, '{"prompt": "a", "chosen": "b", "rejected": "c"}\n{"prompt": "a", "chosen": "b"}\n');
    await assert.rejects(
      runFinetune({ baseDir: SHAKESPEARE_DIR, dataPath: bad, outDir: join(root, 'bad-out'), method: 'dpo', steps: 1 }),
      (error: Error) => error.message.includes(`${bad}:2: "rejected" is missing`),
    );
    assert.ok(!existsSync(join(root, 'bad-out')), 'nothing is written for a refused dataset');
  });
});
