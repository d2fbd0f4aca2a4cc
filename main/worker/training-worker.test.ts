// The training worker as a real forked process, spoken to in its protocol: it says ready, runs a
// job on the bundled demo model with progress messages (prepared, step, checkpoint), stops when
// cancelled after a checkpoint, continues from that checkpoint in a new process, answers a
// malformed request with an error as data, and exits when told.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FinetuneConfigSchema } from '../common/contracts/jobs.ts';
import { NodeWorkerLauncher } from './node-worker-launcher.ts';
import type { WorkerExit, WorkerHandle } from './worker-launcher.ts';
import { TrainingReplySchema, type StartTrainingRequest, type TrainingReply } from './training-protocol.ts';

const BUNDLED_MODEL_DIR = fileURLToPath(new URL('../../resources/models/shakespeare-5m/', import.meta.url));
const NAMES = ['Romeo', 'Juliet', 'Hamlet', 'Ophelia', 'Macbeth', 'Portia', 'Viola', 'Lear', 'Puck', 'Oberon', 'Titania', 'Othello'];

/** A training process whose replies are validated and queued for the test to take in order. */
class TestTrainer {
  readonly handle: WorkerHandle;
  readonly exit: Promise<WorkerExit>;
  readonly replies: TrainingReply[] = [];
  private wake: (() => void) | null = null;

  constructor() {
    this.handle = new NodeWorkerLauncher().launch('training');
    this.handle.onMessage((raw) => {
      this.replies.push(TrainingReplySchema.parse(raw));
      this.wake?.();
    });
    this.exit = new Promise((resolve) => this.handle.onExit(resolve));
  }

  /** Waits for the first reply of `type` (at or after `from` in the queue) that passes `match`. */
  async next<T extends TrainingReply['type']>(type: T, match: (reply: Extract<TrainingReply, { type: T }>) => boolean = () => true): Promise<Extract<TrainingReply, { type: T }>> {
    for (;;) {
      const found = this.replies.find((r): r is Extract<TrainingReply, { type: T }> => r.type === type && match(r as Extract<TrainingReply, { type: T }>));
      if (found) return found;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  of<T extends TrainingReply['type']>(type: T): Extract<TrainingReply, { type: T }>[] {
    return this.replies.filter((r): r is Extract<TrainingReply, { type: T }> => r.type === type);
  }
}

let scratch: string;
let request: Omit<StartTrainingRequest, 'type'>;
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hearth-training-worker-'));
  const data = join(scratch, 'greet.jsonl');
  const rows = NAMES.map((name) => JSON.stringify({ messages: [{ role: 'user', content: `Greet ${name}.` }, { role: 'assistant', content: `Good morrow, ${name}!` }] }));
  await writeFile(data, rows.join('\n') + '\n');
  request = {
    jobId: 'job-1',
    baseDir: BUNDLED_MODEL_DIR,
    dataPath: data,
    evalDataPath: null,
    outDir: join(scratch, 'out'),
    config: FinetuneConfigSchema.parse({ steps: 40, batchSize: 4, learningRate: 2e-3, checkpointEvery: 2, evalEvery: 0 }),
  };
});
after(() => rm(scratch, { recursive: true, force: true }));

describe('the training worker process', { timeout: 120_000 }, () => {
  it('runs a job, reports its steps, and stops after a checkpoint when cancelled', async () => {
    const trainer = new TestTrainer();
    assert.equal((await trainer.next('ready')).pid, trainer.handle.pid);
    trainer.handle.send({ type: 'start', ...request });
    const prepared = await trainer.next('prepared');
    assert.equal(prepared.totalSteps, 40);
    assert.equal(prepared.trainExamples + prepared.evalExamples, NAMES.length, 'the 90/10 split of 12 rows');
    await trainer.next('checkpoint', (c) => c.step === 2);
    await trainer.next('step', (s) => s.step === 3);
    trainer.handle.send({ type: 'cancel' });
    const finished = await trainer.next('finished');
    assert.equal(finished.status, 'cancelled');
    assert.equal(finished.adapterDir, null);
    const steps = trainer.of('step').map((s) => s.step);
    assert.deepEqual(steps, Array.from({ length: finished.step }, (_, i) => i + 1), 'one message per step, in order');
    assert.ok(steps.length < 40);
    assert.ok(trainer.of('step').every((s) => Number.isFinite(s.loss) && s.totalSteps === 40));
    assert.equal(trainer.of('checkpoint').at(-1)?.step, finished.step, 'the cancel wrote a checkpoint at the step it stopped');
    trainer.handle.send({ type: 'shutdown' });
    assert.equal((await trainer.exit).code, 0);
  });

  it('continues from the checkpoint in a new process, to the PEFT adapter', async () => {
    const trainer = new TestTrainer();
    await trainer.next('ready');
    trainer.handle.send({ type: 'start', ...request });
    const resumed = await trainer.next('resumed');
    assert.ok(resumed.step >= 3, `resumed at step ${resumed.step}`);
    const finished = await trainer.next('finished');
    assert.deepEqual(finished, { type: 'finished', status: 'completed', step: 40, adapterDir: request.outDir });
    assert.equal(trainer.of('step')[0].step, resumed.step + 1, 'the first step after the resume follows the checkpoint');
    assert.ok(existsSync(join(request.outDir, 'adapter_model.safetensors')));
    assert.ok(trainer.of('eval').length === 1, 'an evaluation at the end on the held-out rows');
    trainer.handle.send({ type: 'shutdown' });
    await trainer.exit;
  });

  it('answers a malformed request or a bad dataset with a failure as data', async () => {
    const trainer = new TestTrainer();
    await trainer.next('ready');
    (trainer.handle.send as (message: unknown) => void)({ type: 'start', jobId: 'x' });
    assert.match((await trainer.next('failed')).message, /malformed request/);
    trainer.replies.length = 0;
    trainer.handle.send({ type: 'start', ...request, dataPath: join(scratch, 'missing.jsonl'), outDir: join(scratch, 'other') });
    assert.match((await trainer.next('failed')).message, /missing\.jsonl.*does not exist/);
    trainer.handle.kill();
    assert.equal((await trainer.exit).signal, 'SIGKILL');
  });
});
