import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { evaluateAnswerNll } from './answer-nll.ts';
import { runFinetune, type FinetuneEvent, type FinetuneOptions } from './finetune-job.ts';
import { ADAPTER_WEIGHTS_FILE } from './peft-adapter-files.ts';
import { FIXTURES_MISSING, LORA_FIXTURES, SHAKESPEARE_DIR } from './test/reference-batch.ts';
import { CHECKPOINTS_DIR } from './training-checkpoint.ts';

const TRAIN = join(LORA_FIXTURES, 'greet_train.jsonl');
const TEST = join(LORA_FIXTURES, 'greet_test.jsonl');

describe('runFinetune (shakespeare-5m, greet task)', { skip: FIXTURES_MISSING }, () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hearth-finetune-test-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('learns the greeting: held-out answer NLL falls clearly in 40 steps', async () => {
    const outDir = join(root, 'short');
    const before = await evaluateAnswerNll({ baseDir: SHAKESPEARE_DIR, dataPath: TEST });
    const events: FinetuneEvent[] = [];
    const result = await runFinetune({
      baseDir: SHAKESPEARE_DIR, dataPath: TRAIN, evalDataPath: TEST, outDir,
      r: 8, alpha: 16, targets: 'all-linear', learningRate: 2e-3, batchSize: 8, steps: 40, seed: 0, evalEvery: 20, checkpointEvery: 0,
      onEvent: (event) => events.push(event),
    });
    assert.equal(result.status, 'completed');
    const after = await evaluateAnswerNll({ baseDir: SHAKESPEARE_DIR, adapter: outDir, dataPath: TEST });
    assert.ok(before.nll > 4, `base model NLL ${before.nll}`);
    assert.ok(after.nll < 2.2, `after 40 steps the answer NLL is ${after.nll} (base ${before.nll})`);
    assert.ok(Math.abs((result.evalLoss ?? 0) - after.nll) < 1e-4, 'the job’s final eval loss is the answer NLL of the written adapter');
    assert.equal(events.filter((e) => e.type === 'step').length, 40);
    assert.deepEqual(events.filter((e) => e.type === 'eval').map((e) => e.step), [20, 40]);
    const metrics = readFileSync(join(outDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    assert.equal(metrics.filter((m) => m.loss !== undefined).length, 40);
    assert.equal(result.dataset.evalSource, 'file');
  });

  it('resumes a killed run from its checkpoint to the same adapter as an uninterrupted run', async () => {
    const common: Omit<FinetuneOptions, 'outDir'> = {
      baseDir: SHAKESPEARE_DIR, dataPath: TRAIN, r: 4, alpha: 8, dropout: 0.1, targets: 'q_proj,v_proj',
      learningRate: 5e-3, batchSize: 4, steps: 9, seed: 7, checkpointEvery: 3, schedule: 'cosine', warmupSteps: 2, weightDecay: 0.01, gradAccum: 2,
    };
    const straight = join(root, 'straight');
    const whole = await runFinetune({ ...common, outDir: straight });
    assert.equal(whole.dataset.evalSource, 'split', '60 rows and no eval file: 10 % held out');
    assert.equal(whole.dataset.evalExamples, 6);

    const killed = join(root, 'killed');
    // A crash (not a cancellation, which would checkpoint) right after step 5: the last checkpoint is step 3.
    await assert.rejects(
      runFinetune({ ...common, outDir: killed, onEvent: (e) => { if (e.type === 'step' && e.step === 5) throw new Error('simulated crash'); } }),
      /simulated crash/,
    );
    assert.deepEqual(await readdir(join(killed, CHECKPOINTS_DIR)), ['step-000003']);
    const events: FinetuneEvent[] = [];
    const resumed = await runFinetune({ ...common, outDir: killed, resume: true, onEvent: (e) => events.push(e) });
    const resumedEvent = events.find((e) => e.type === 'resumed');
    assert.ok(resumedEvent && resumedEvent.type === 'resumed' && resumedEvent.step === 3 && resumedEvent.metrics.length === 3);
    assert.equal(events.filter((e) => e.type === 'step').length, 6);
    assert.ok(readFileSync(join(straight, ADAPTER_WEIGHTS_FILE)).equals(readFileSync(join(killed, ADAPTER_WEIGHTS_FILE))), 'the final adapters differ');
    assert.deepEqual(resumed.metrics.map((m) => m.loss), whole.metrics.map((m) => m.loss), 'the loss curve continues where it stopped');
    const lines = (await readFile(join(killed, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.filter((m) => m.loss !== undefined).map((m) => m.step), [1, 2, 3, 4, 5, 6, 7, 8, 9], 'steps 4-5 of the crashed run were dropped from metrics.jsonl');
  });

  it('stops at the next step when cancelled, with a checkpoint to resume from, and refuses a resume with other settings', async () => {
    const outDir = join(root, 'cancelled');
    const controller = new AbortController();
    const options: FinetuneOptions = { baseDir: SHAKESPEARE_DIR, dataPath: TRAIN, outDir, r: 2, targets: 'q_proj', steps: 20, batchSize: 2, checkpointEvery: 0, signal: controller.signal };
    const result = await runFinetune({ ...options, onEvent: (e) => e.type === 'step' && e.step === 2 && controller.abort() });
    assert.equal(result.status, 'cancelled');
    assert.equal(result.step, 2);
    assert.ok(existsSync(join(outDir, CHECKPOINTS_DIR, 'step-000002')));
    assert.ok(!existsSync(join(outDir, ADAPTER_WEIGHTS_FILE)), 'no final adapter for a cancelled job');
    await assert.rejects(runFinetune({ ...options, signal: undefined, r: 4, resume: true }), /different settings/);
  });
});
