// Fine-tuning through the API handlers, with real training and inference processes and the demo
// model: one job at a time (the next waits queued), metrics stored and pushed as they come,
// cancel and resume from the checkpoint (the curve continues, never restarts), a killed training
// process fails its job resumably, the finished adapter joins the library, a conversation chats
// through it, it merges into a new model that builds like any other, a PEFT folder imports, and
// a job the app left running comes back resumable.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError } from '../common/contracts/api-error.ts';
import type { ApiEvent } from '../common/contracts/events.ts';
import { DEFAULT_FINETUNE_CONFIG, FinetuneConfigSchema, type FinetuneConfigInput, type Job } from '../common/contracts/jobs.ts';
import { databaseFileIn, openStore } from '../store/store.ts';
import { INTERRUPTED_BY_CLOSE } from './jobs-service.ts';
import { BUNDLED_MODEL_ID } from './library-service.ts';
import { adaptedVariantsDir, adapterDataDir, jobDataDir, mergedModelSourceDir } from './model-paths.ts';
import { openTestServices, RecordingLauncher, scratchDir, type TestServices } from './services-test-support.ts';

type ProgressEvent = Extract<ApiEvent, { type: 'job.progress' }>;

const NAMES = ['Romeo', 'Juliet', 'Hamlet', 'Ophelia', 'Macbeth', 'Portia', 'Viola', 'Lear', 'Puck', 'Oberon', 'Titania', 'Othello'];
const greet = (name: string) => JSON.stringify({ messages: [{ role: 'user', content: `Greet ${name}.` }, { role: 'assistant', content: `Good morrow, ${name}!` }] });
const JOB_TIMEOUT_MS = 90_000;
/** The settings given, over the defaults (as the transport's schema check fills them in). */
const settings = (values: FinetuneConfigInput = {}) => FinetuneConfigSchema.parse(values);

const launcher = new RecordingLauncher();
let t: TestServices;
let scratch: { dir: string; remove(): Promise<void> };
let trainPath: string;

before(async () => {
  scratch = await scratchDir('hearth-jobs-');
  trainPath = join(scratch.dir, 'greet.jsonl');
  await writeFile(trainPath, NAMES.map(greet).join('\n') + '\n');
  t = await openTestServices(launcher);
});
after(async () => {
  await t.cleanup();
  await scratch.remove();
});

function handlers() {
  return t.services.handlers;
}

/** The first job.progress event of the job after `mark` that passes `match`. */
function progress(mark: number, jobId: string, match: (event: ProgressEvent) => boolean): Promise<ProgressEvent> {
  return t.events.next(mark, 'job.progress', (e) => e.jobId === jobId && match(e), JOB_TIMEOUT_MS);
}

function state(mark: number, jobId: string, wanted: Job['state']): Promise<ProgressEvent> {
  return progress(mark, jobId, (e) => e.state === wanted);
}

async function rejection(work: Promise<unknown>): Promise<ApiError> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof ApiError, String(error));
    return error;
  }
  assert.fail('expected the call to fail');
}

describe('fine-tune jobs', { timeout: 300_000 }, () => {
  let jobA: Job;
  let jobB: Job;
  let adapterId: string;

  it('refuses an unknown model and data with bad lines, by line number', async () => {
    const missing = await rejection(handlers()['jobs.create']({ baseModelId: 'nope', trainPath, config: settings() }));
    assert.equal(missing.code, 'not-found');
    const bad = join(scratch.dir, 'bad.jsonl');
    await writeFile(bad, `${greet('Romeo')}\n{"text": 5}\n`);
    const refused = await rejection(handlers()['jobs.create']({ baseModelId: BUNDLED_MODEL_ID, trainPath: bad, config: settings() }));
    assert.equal(refused.code, 'invalid-input');
    assert.match(refused.message, /1 bad line\(s\).*line 2: /);
    const outOfRange = await rejection(handlers()['jobs.create']({ baseModelId: BUNDLED_MODEL_ID, trainPath, config: { ...DEFAULT_FINETUNE_CONFIG, r: 0 } }));
    assert.equal(outOfRange.code, 'invalid-input');
    assert.deepEqual(await handlers()['jobs.list']({}), [], 'nothing was queued');
  });

  it('runs one job at a time: the second waits queued, and starts when the first is cancelled', async () => {
    const mark = t.events.mark();
    const config = settings({ steps: 30, batchSize: 4, learningRate: 2e-3, checkpointEvery: 5, evalEvery: 10 });
    jobA = await handlers()['jobs.create']({ baseModelId: BUNDLED_MODEL_ID, trainPath, config });
    jobB = await handlers()['jobs.create']({ baseModelId: BUNDLED_MODEL_ID, trainPath, config: settings({ steps: 4, batchSize: 4, learningRate: 2e-3 }) });
    assert.equal(jobA.state, 'running');
    assert.equal(jobB.state, 'queued');
    assert.deepEqual(jobA.config, { ...jobA.config, r: 8, alpha: 16, targets: 'all-linear', steps: 30, seed: 0 }, 'defaults filled in');

    await progress(mark, jobA.id, (e) => e.step >= 7 && e.trainLoss !== null);
    assert.equal((await handlers()['jobs.get']({ jobId: jobB.id })).state, 'queued', 'still waiting while A runs');
    const cancelMark = t.events.mark();
    await handlers()['jobs.cancel']({ jobId: jobA.id });
    const cancelled = await state(cancelMark, jobA.id, 'cancelled');
    const detail = await handlers()['jobs.get']({ jobId: jobA.id });
    assert.equal(detail.resumable, true);
    assert.equal(detail.checkpointStep, cancelled.step, 'the cancel checkpointed the step it stopped at');
    assert.equal(detail.progress.totalSteps, 30);
    assert.deepEqual(
      detail.metrics.filter((m) => m.trainLoss !== null).map((m) => m.step),
      Array.from({ length: cancelled.step }, (_, i) => i + 1),
      'every step so far is stored',
    );
    if (cancelled.step >= 10) assert.notEqual(detail.metrics.find((m) => m.step === 10)?.evalLoss ?? null, null, 'the evaluation at step 10 is stored');

    await state(cancelMark, jobB.id, 'running');
    await state(cancelMark, jobB.id, 'completed');
    const doneB = await handlers()['jobs.get']({ jobId: jobB.id });
    assert.ok(doneB.adapterId && doneB.adapterDir && existsSync(join(doneB.adapterDir, 'adapter_model.safetensors')));
  });

  it('resumes from the checkpoint: the curve continues, it does not restart', async () => {
    const before = await handlers()['jobs.get']({ jobId: jobA.id });
    const from = before.checkpointStep!;
    const mark = t.events.mark();
    const resumed = await handlers()['jobs.resume']({ jobId: jobA.id });
    assert.equal(resumed.state, 'running');
    const firstStep = await progress(mark, jobA.id, (e) => e.trainLoss !== null);
    assert.equal(firstStep.step, from + 1, 'the first step after the resume follows the checkpoint');
    assert.ok(t.events.since(mark, 'job.progress').every((e) => e.jobId !== jobA.id || e.step >= from), 'the step never went back to 0');
  });

  it('a killed training process fails its job resumably, and the resume finishes it', async () => {
    const mark = t.events.mark();
    await progress(mark, jobA.id, (e) => e.step >= 12 && e.trainLoss !== null);
    launcher.trainingHandles.at(-1)!.kill();
    const failed = await state(mark, jobA.id, 'failed');
    const detail = await handlers()['jobs.get']({ jobId: jobA.id });
    assert.match(detail.error ?? '', /training process was killed \(SIGKILL\)\. Resume continues from its last checkpoint \(step \d+\)/);
    assert.equal(detail.resumable, true);
    assert.ok(failed.step >= 12);

    const resumeMark = t.events.mark();
    await handlers()['jobs.resume']({ jobId: jobA.id });
    await state(resumeMark, jobA.id, 'completed');
    const done = await handlers()['jobs.get']({ jobId: jobA.id });
    assert.deepEqual(done.metrics.filter((m) => m.trainLoss !== null).map((m) => m.step), Array.from({ length: 30 }, (_, i) => i + 1), 'each step once, 1 to 30');
    assert.deepEqual(done.metrics.filter((m) => m.evalLoss !== null).map((m) => m.step), [10, 20, 30]);
    const losses = done.metrics.map((m) => m.trainLoss).filter((l): l is number => l !== null);
    assert.ok(losses.at(-1)! < losses[0] / 2, `the loss fell: ${losses[0]} → ${losses.at(-1)}`);
    assert.equal(done.progress.step, 30);
    assert.equal(done.checkpointStep, null);
    adapterId = done.adapterId!;
    const adapters = await handlers()['adapters.list']({});
    const adapter = adapters.find((a) => a.id === adapterId);
    assert.deepEqual(
      { name: adapter?.name, source: adapter?.source, jobId: adapter?.jobId, r: adapter?.r, alpha: adapter?.alpha, baseModelId: adapter?.baseModelId },
      { name: 'greet on Shakespeare 5M (demo)', source: 'trained', jobId: jobA.id, r: 8, alpha: 16, baseModelId: BUNDLED_MODEL_ID },
    );
    assert.equal(done.adapterDir, adapterDataDir(t.dataDir, adapterId), 'the adapter was copied into the library');
  });

  let conversationId: string;
  it('chats through the adapter, with the model built with it folded in', async () => {
    const conversation = await handlers()['conversations.create']({ adapterId, precision: 'int8' });
    conversationId = conversation.id;
    assert.equal(conversation.modelId, BUNDLED_MODEL_ID, "the adapter's base model is chosen");
    assert.equal(conversation.adapterId, adapterId);
    await handlers()['conversations.update']({ conversationId, params: { temperature: 0, maxTokens: 12, contextLength: 256 } });
    const mark = t.events.mark();
    const started = await handlers()['chat.send']({ conversationId, text: 'Greet Romeo.' });
    const ended = await t.events.next(mark, 'chat.ended', (e) => e.message.id === started.assistantMessageId, JOB_TIMEOUT_MS);
    assert.equal(ended.message.status, 'complete', ended.message.error ?? '');
    assert.match(ended.message.content, /Good morrow/, 'the adapter taught the greeting');
    assert.ok(existsSync(join(adaptedVariantsDir(t.dataDir, BUNDLED_MODEL_ID, adapterId), 'int8', 'hearth.json')));

    const other = await handlers()['conversations.create']({ modelId: BUNDLED_MODEL_ID });
    const wrong = await rejection(handlers()['conversations.update']({ conversationId: other.id, modelId: null, adapterId }));
    assert.equal(wrong.code, 'invalid-input');
  });

  let mergedId: string;
  it('merges the adapter into a new model, which builds like any model', async () => {
    const merged = await handlers()['models.mergeAdapter']({ adapterId, name: 'Shakespeare greeter' });
    mergedId = merged.id;
    assert.equal(merged.name, 'Shakespeare greeter');
    assert.equal(merged.bundled, false);
    assert.ok(existsSync(join(mergedModelSourceDir(t.dataDir, merged.id), 'model.safetensors')));
    assert.ok((await handlers()['models.list']({})).some((m) => m.id === merged.id));

    const mark = t.events.mark();
    await handlers()['models.buildVariant']({ modelId: merged.id, precision: 'int4' });
    const built = await t.events.next(mark, 'model.build', (e) => e.modelId === merged.id && e.state !== 'building', JOB_TIMEOUT_MS);
    assert.equal(built.state, 'ready', built.error?.message);

    const moved = await handlers()['conversations.update']({ conversationId, modelId: merged.id });
    assert.equal(moved.adapterId, null, 'an adapter of the old model no longer applies');
  });

  it('imports a folder PEFT wrote, and refuses one without its files', async () => {
    const jobFolder = jobDataDir(t.dataDir, jobA.id);
    const imported = await handlers()['adapters.importPeft']({ path: jobFolder, baseModelId: BUNDLED_MODEL_ID, name: 'From PEFT' });
    assert.deepEqual([imported.name, imported.source, imported.r, imported.jobId], ['From PEFT', 'imported', 8, null]);
    const empty = join(scratch.dir, 'empty-adapter');
    await mkdir(empty);
    const refused = await rejection(handlers()['adapters.importPeft']({ path: empty, baseModelId: BUNDLED_MODEL_ID }));
    assert.equal(refused.code, 'invalid-input');
    assert.match(refused.message, /adapter_config\.json is missing/);
  });

  it('deleting a job keeps its adapter; deleting the adapter puts its conversations back on the model alone', async () => {
    await handlers()['jobs.delete']({ jobId: jobA.id });
    assert.ok(!existsSync(jobDataDir(t.dataDir, jobA.id)));
    const adapter = (await handlers()['adapters.list']({})).find((a) => a.id === adapterId);
    assert.equal(adapter?.jobId, null, 'the adapter outlives its job');

    const conversation = await handlers()['conversations.create']({ adapterId });
    await handlers()['adapters.delete']({ adapterId });
    assert.equal((await handlers()['conversations.get']({ conversationId: conversation.id })).adapterId, null);
    assert.ok(!existsSync(adapterDataDir(t.dataDir, adapterId)));
    assert.ok(!existsSync(adaptedVariantsDir(t.dataDir, BUNDLED_MODEL_ID, adapterId)), 'its builds went too');
    assert.ok(mergedId, 'the merged model is independent of the adapter');
  });
});

describe('a job the app left running', { timeout: 120_000 }, () => {
  it('closing the app checkpoints the running job; the next start offers to resume it', async () => {
    const closing = await openTestServices(new RecordingLauncher());
    const dataDir = closing.dataDir;
    const mark = closing.events.mark();
    const job = await closing.services.handlers['jobs.create']({ baseModelId: BUNDLED_MODEL_ID, trainPath, config: settings({ steps: 200, batchSize: 4, checkpointEvery: 0 }) });
    await closing.events.next(mark, 'job.progress', (e) => e.jobId === job.id && e.step >= 2 && e.trainLoss !== null, JOB_TIMEOUT_MS);
    await closing.services.close();

    const store = openStore(databaseFileIn(dataDir));
    const stored = store.jobs.get(job.id);
    // Left 'running' as a crash would leave it; the graceful close already recorded the interruption.
    assert.equal(stored?.state, 'failed');
    assert.equal(stored?.error, INTERRUPTED_BY_CLOSE);
    store.jobs.updateState(job.id, 'running');
    store.close();

    const reopened = await openTestServices(new RecordingLauncher(), dataDir);
    try {
      assert.ok(reopened.services.startupNotices.some((n) => /A fine-tune job was cut off/.test(n)), reopened.services.startupNotices.join('\n'));
      const detail = await reopened.services.handlers['jobs.get']({ jobId: job.id });
      assert.equal(detail.state, 'failed');
      assert.equal(detail.error, INTERRUPTED_BY_CLOSE);
      assert.equal(detail.resumable, true);
      assert.ok((detail.checkpointStep ?? 0) >= 2, `the close wrote a checkpoint (step ${detail.checkpointStep})`);
    } finally {
      await reopened.cleanup();
    }
  });
});
