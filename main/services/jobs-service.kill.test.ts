// kill -9 of the whole app while a fine-tune job trains: the app process (`hearth serve`) is
// SIGKILLed after the job has written a checkpoint and trained past it; its training process
// must not linger as an orphan, the database must be intact with everything the user had, and
// the restarted app must show the job as interrupted and resumable, resume it from that
// checkpoint (the steps go on from there, never back to 0) and finish it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobDetail } from '../common/contracts/jobs.ts';
import { lastCheckpointStep } from './job-records.ts';
import { INTERRUPTED_BY_CLOSE } from './jobs-service.ts';
import { BUNDLED_MODEL_ID } from './library-service.ts';
import { jobDataDir } from './model-paths.ts';
import { isRunning, lostUserData, readUserData, seedUserData, useKillTestScratch, waitFor, type UserData } from './app-process-test-support.ts';

const NAMES = ['Romeo', 'Juliet', 'Hamlet', 'Ophelia', 'Macbeth', 'Portia', 'Viola', 'Lear', 'Puck', 'Oberon', 'Titania', 'Othello'];
const greet = (name: string) => JSON.stringify({ messages: [{ role: 'user', content: `Greet ${name}.` }, { role: 'assistant', content: `Good morrow, ${name}!` }] });
const STEPS = 24;
const CHECKPOINT_EVERY = 4;
const JOB_TIMEOUT_MS = 180_000;

const scratch = useKillTestScratch('hearth-kill-job-');

describe('kill -9 of the app during a fine-tune job', { timeout: 400_000 }, () => {
  it('resumes from its last checkpoint after a restart and finishes, with nothing lost', async () => {
    const trainPath = join(scratch.dir, 'greet.jsonl');
    await writeFile(trainPath, NAMES.map(greet).join('\n') + '\n');
    const first = await scratch.start();
    await seedUserData(first, scratch.dataDir, scratch.dir);
    const had: UserData = readUserData(scratch.dataDir).data;

    const job = await first.call('jobs.create', {
      baseModelId: BUNDLED_MODEL_ID,
      trainPath,
      config: { steps: STEPS, batchSize: 4, learningRate: 2e-3, checkpointEvery: CHECKPOINT_EVERY, evalEvery: 8 },
    });
    // The kill comes once a checkpoint is on disk and the job has trained two steps past it, so
    // a resume from the checkpoint, from the last step reported, and from 0 all differ.
    const running = await waitFor(
      'a checkpoint and two steps past it',
      async () => {
        const detail = await first.call('jobs.get', { jobId: job.id });
        assert.equal(detail.state, 'running', detail.error ?? '');
        return detail.checkpointStep !== null && detail.progress.step >= detail.checkpointStep + 2 ? detail : undefined;
      },
      JOB_TIMEOUT_MS,
      20,
    );
    const workers = first.childPids();
    await first.killHard();

    // The training process has lost its parent: it must stop, not train on beside a resumed run.
    if (process.platform === 'linux') {
      assert.ok(workers.length > 0, 'the training process was found under the app');
      await waitFor('the orphaned training process to exit', () => workers.every((pid) => !isRunning(pid)), 30_000);
    }
    const checkpoint = lastCheckpointStep(jobDataDir(scratch.dataDir, job.id));
    assert.ok(checkpoint !== null && checkpoint >= running.checkpointStep!, `a checkpoint is on disk (${checkpoint})`);
    const crashed = readUserData(scratch.dataDir);
    assert.equal(crashed.integrity, 'ok');
    assert.deepEqual(lostUserData(had, crashed.data), [], 'nothing the user had is gone');

    const second = await scratch.start();
    // The notices follow the address line on stderr.
    await waitFor('the start-up notice', () => /A fine-tune job was cut off when Hearth last stopped/.test(second.stderr()), 10_000);
    const interrupted = await second.call('jobs.get', { jobId: job.id });
    assert.equal(interrupted.state, 'failed');
    assert.equal(interrupted.error, INTERRUPTED_BY_CLOSE);
    assert.equal(interrupted.resumable, true);
    assert.equal(interrupted.checkpointStep, checkpoint);
    const trainedBefore = trainLosses(interrupted).filter((point) => point.step <= checkpoint);

    await second.call('jobs.resume', { jobId: job.id });
    const seen: number[] = [];
    const done = await waitFor(
      'the resumed job to complete',
      async () => {
        const detail = await second.call('jobs.get', { jobId: job.id });
        assert.notEqual(detail.state, 'failed', detail.error ?? '');
        seen.push(detail.progress.step);
        return detail.state === 'completed' ? detail : undefined;
      },
      JOB_TIMEOUT_MS,
      20,
    );
    assert.ok(seen.every((step) => step >= checkpoint), `the step never went below the checkpoint (${checkpoint}): ${seen.join(',')}`);
    assert.deepEqual(trainLosses(done).map((point) => point.step), Array.from({ length: STEPS }, (_, i) => i + 1), 'each step once, 1 to the last');
    assert.deepEqual(
      trainLosses(done).filter((point) => point.step <= checkpoint),
      trainedBefore,
      'the steps up to the checkpoint were kept, not trained again',
    );
    assert.equal(done.progress.step, STEPS);
    assert.ok(done.adapterDir && existsSync(join(done.adapterDir, 'adapter_model.safetensors')), 'the trained adapter joined the library');

    assert.equal(await second.stop(), 0, second.stderr());
    const closed = readUserData(scratch.dataDir);
    assert.equal(closed.integrity, 'ok');
    assert.deepEqual(lostUserData(had, closed.data), [], 'nothing the user had is gone');
    assert.ok(closed.data.adapters.some((adapter) => adapter.id === done.adapterId));
  });
});

function trainLosses(detail: JobDetail): { step: number; trainLoss: number }[] {
  return detail.metrics.filter((m): m is typeof m & { trainLoss: number } => m.trainLoss !== null).map((m) => ({ step: m.step, trainLoss: m.trainLoss }));
}
