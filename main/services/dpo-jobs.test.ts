// A DPO job through the API handlers, with the real training process and the demo model: the
// preference file is checked line by line before the job is queued, and the job's steps and
// evaluations carry TRL's rewards, in the pushed events and in the metrics stored in SQLite.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError } from '../common/contracts/api-error.ts';
import type { ApiEvent } from '../common/contracts/events.ts';
import { FinetuneConfigSchema } from '../common/contracts/jobs.ts';
import { BUNDLED_MODEL_ID } from './library-service.ts';
import { openTestServices, RecordingLauncher, scratchDir, type TestServices } from './services-test-support.ts';

type ProgressEvent = Extract<ApiEvent, { type: 'job.progress' }>;

const NAMES = ['Romeo', 'Juliet', 'Hamlet', 'Ophelia', 'Macbeth', 'Portia', 'Viola', 'Lear', 'Puck', 'Oberon', 'Titania', 'Othello'];
const pair = (name: string) =>
  JSON.stringify({ prompt: [{ role: 'user', content: `Greet ${name}.` }], chosen: [{ role: 'assistant', content: `Good morrow, ${name}!` }], rejected: [{ role: 'assistant', content: `Away with thee, ${name}!` }] });

const launcher = new RecordingLauncher();
let t: TestServices;
let scratch: { dir: string; remove(): Promise<void> };
let prefsPath: string;

before(async () => {
  scratch = await scratchDir('hearth-dpo-jobs-');
  prefsPath = join(scratch.dir, 'prefs.jsonl');
  await writeFile(prefsPath, NAMES.map(pair).join('\n') + '\n');
  t = await openTestServices(launcher);
});
after(async () => {
  await t.cleanup();
  await scratch.remove();
});

async function rejection(work: Promise<unknown>): Promise<ApiError> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof ApiError, String(error));
    return error;
  }
  assert.fail('expected the call to fail');
}

describe('DPO jobs', { timeout: 180_000 }, () => {
  it('refuses a preference file with a bad line, and an SFT file, before queueing', async () => {
    const handlers = t.services.handlers;
    const bad = join(scratch.dir, 'bad.jsonl');
    await writeFile(bad, `${pair('Romeo')}\n{"prompt": "Greet Lear.", "chosen": "Good morrow!"}\n`);
    const refused = await rejection(handlers['jobs.create']({ baseModelId: BUNDLED_MODEL_ID, trainPath: bad, config: FinetuneConfigSchema.parse({ method: 'dpo' }) }));
    assert.equal(refused.code, 'invalid-input');
    assert.match(refused.message, /preference data .* 1 bad line\(s\).*line 2: "rejected" is missing/);
    const sft = join(scratch.dir, 'sft.jsonl');
    await writeFile(sft, `${JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }] })}\n`);
    const wrongShape = await rejection(handlers['jobs.create']({ baseModelId: BUNDLED_MODEL_ID, trainPath: sft, config: FinetuneConfigSchema.parse({ method: 'dpo' }) }));
    assert.match(wrongShape.message, /line 1: "chosen" is missing/);
    const preview = await handlers['jobs.previewDataset']({ path: prefsPath, method: 'dpo' });
    assert.equal(preview.ok, true);
    assert.equal(preview.counts.preference, NAMES.length);
    assert.match(preview.firstRows[0].text, /^prompt: user: Greet Romeo\. · chosen: assistant: Good morrow, Romeo! · rejected: assistant: Away with thee, Romeo!$/);
    assert.deepEqual(await handlers['jobs.list']({}), [], 'nothing was queued');
  });

  it('runs to its adapter, pushing and storing the rewards of train steps and evaluations', async () => {
    const handlers = t.services.handlers;
    const mark = t.events.mark();
    const config = FinetuneConfigSchema.parse({ method: 'dpo', beta: 0.1, steps: 6, batchSize: 4, learningRate: 2e-3, evalEvery: 3, checkpointEvery: 0 });
    const job = await handlers['jobs.create']({ baseModelId: BUNDLED_MODEL_ID, trainPath: prefsPath, config });
    assert.equal(job.config.method, 'dpo');
    await t.events.next(mark, 'job.progress', (e) => e.jobId === job.id && e.state === 'completed', 90_000);
    const events = t.events.since(mark, 'job.progress').filter((e): e is ProgressEvent => e.jobId === job.id);
    const trainEvents = events.filter((e) => e.trainLoss !== null);
    assert.equal(trainEvents.length, 6);
    assert.ok(trainEvents.every((e) => e.rewards && e.rewards.margin === e.rewards.chosen - e.rewards.rejected));
    assert.ok(Math.abs(trainEvents[0].trainLoss! - Math.LN2) < 1e-5, 'the first step is the base against itself');
    const evalEvents = events.filter((e) => e.evalLoss !== undefined && e.evalLoss !== null);
    assert.deepEqual(evalEvents.map((e) => e.step), [3, 6]);
    assert.ok(evalEvents.every((e) => e.rewards !== undefined && e.rewards !== null));

    const detail = await handlers['jobs.get']({ jobId: job.id });
    assert.ok(detail.adapterId, 'the adapter joined the library');
    const stored = detail.metrics.filter((m) => m.trainLoss !== null);
    assert.equal(stored.length, 6);
    assert.deepEqual(stored.map((m) => m.rewards), trainEvents.map((e) => e.rewards));
    const last = detail.metrics.find((m) => m.step === 6)!;
    assert.deepEqual(last.evalRewards, evalEvents.at(-1)!.rewards);
    assert.ok(last.evalRewards!.margin > 0, `held-out margin after 6 steps: ${last.evalRewards!.margin}`);
  });
});
