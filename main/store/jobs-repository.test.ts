import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobsRepository } from './jobs-repository.ts';
import { ManualClock, openTestDatabase } from './store-test-support.ts';

test('a job moves through its states, recording when it started and finished', (t) => {
  const clock = new ManualClock();
  const jobs = new JobsRepository(openTestDatabase(t, { now: clock.now }));
  const job = jobs.create({ baseModelId: 'shakespeare-5m', config: { epochs: 2, lora: { rank: 8 } } });
  assert.equal(job.state, 'queued');
  assert.deepEqual(job.config, { epochs: 2, lora: { rank: 8 } });
  assert.equal(job.startedAt, null);

  const started = clock.advance(100);
  assert.equal(jobs.updateState(job.id, 'running', { outputDir: '/out/j' })?.startedAt, started);
  clock.advance(100);
  const failed = jobs.updateState(job.id, 'failed', { error: 'loss became NaN' })!;
  assert.equal(failed.startedAt, started, 'the start time is kept');
  assert.equal(failed.finishedAt, clock.now());
  assert.equal(failed.error, 'loss became NaN');
  assert.equal(failed.outputDir, '/out/j');
  assert.equal(jobs.updateState('missing', 'running'), undefined);

  clock.advance(100);
  const later = jobs.create({ baseModelId: 'other', config: {} });
  assert.deepEqual(jobs.list().map((j) => j.id), [later.id, job.id], 'most recent first');
});

test('metrics are kept per step, merged when a step is reported again, and go with their job', (t) => {
  const db = openTestDatabase(t);
  const jobs = new JobsRepository(db);
  const job = jobs.create({ baseModelId: 'm', config: {} });
  jobs.appendMetric(job.id, { step: 2, trainLoss: 2.0, learningRate: 1e-4, tokensPerSecond: 900 });
  jobs.appendMetric(job.id, { step: 1, trainLoss: 2.5 });
  const merged = jobs.appendMetric(job.id, { step: 2, evalLoss: 2.2 });
  assert.deepEqual(
    { trainLoss: merged.trainLoss, evalLoss: merged.evalLoss, learningRate: merged.learningRate, tokensPerSecond: merged.tokensPerSecond },
    { trainLoss: 2.0, evalLoss: 2.2, learningRate: 1e-4, tokensPerSecond: 900 },
  );
  assert.deepEqual(jobs.metrics(job.id).map((m) => m.step), [1, 2]);
  assert.deepEqual(jobs.metrics(job.id, 1).map((m) => m.step), [2], 'only steps after the one given');
  assert.throws(() => jobs.appendMetric('missing', { step: 1 }), /FOREIGN KEY/);

  assert.equal(jobs.delete(job.id), true);
  assert.deepEqual(db.connection.prepare('SELECT count(*) AS n FROM job_metrics').get(), { n: 0 });
});

test('a DPO job’s rewards are kept per step for train and eval, merged with the losses', (t) => {
  const jobs = new JobsRepository(openTestDatabase(t));
  const job = jobs.create({ baseModelId: 'm', config: { method: 'dpo' } });
  const train = { chosen: 0.5, rejected: -1.25, margin: 1.75, accuracy: 0.875 };
  const evaluation = { chosen: 0.25, rejected: -1, margin: 1.25, accuracy: 1 };
  jobs.appendMetric(job.id, { step: 10, trainLoss: 0.3, rewards: train });
  const merged = jobs.appendMetric(job.id, { step: 10, evalLoss: 0.4, evalRewards: evaluation });
  assert.deepEqual({ trainLoss: merged.trainLoss, evalLoss: merged.evalLoss, rewards: merged.rewards, evalRewards: merged.evalRewards }, { trainLoss: 0.3, evalLoss: 0.4, rewards: train, evalRewards: evaluation });
  const sft = jobs.appendMetric(job.id, { step: 11, trainLoss: 0.2 });
  assert.equal(sft.rewards, null);
  assert.equal(sft.evalRewards, null);
});

test('a job keeps its data paths and progress; queued jobs come out oldest first, a resumed one at the back', (t) => {
  const clock = new ManualClock();
  const jobs = new JobsRepository(openTestDatabase(t, { now: clock.now }));
  const first = jobs.create({ baseModelId: 'm', config: {}, trainPath: '/d/train.jsonl', evalPath: null, outputDir: '/out/1' });
  assert.deepEqual(
    { trainPath: first.trainPath, evalPath: first.evalPath, step: first.step, totalSteps: first.totalSteps, queuedAt: first.queuedAt },
    { trainPath: '/d/train.jsonl', evalPath: null, step: 0, totalSteps: null, queuedAt: clock.now() },
  );
  clock.advance(10);
  const second = jobs.create({ baseModelId: 'm', config: {}, trainPath: '/d/other.jsonl' });
  assert.equal(jobs.nextQueued()?.id, first.id);

  jobs.updateState(first.id, 'running');
  assert.equal(jobs.get(first.id)?.queuedAt, null, 'no longer waiting');
  assert.equal(jobs.nextQueued()?.id, second.id);
  jobs.updateProgress(first.id, 3, 60);
  jobs.updateProgress(first.id, 4);
  assert.deepEqual([jobs.get(first.id)?.step, jobs.get(first.id)?.totalSteps], [4, 60], 'the total is kept when not given');
  jobs.updateState(first.id, 'cancelled');
  clock.advance(10);
  const requeued = jobs.updateState(first.id, 'queued', { error: null })!;
  assert.equal(requeued.queuedAt, clock.now());
  assert.equal(requeued.finishedAt, null, 'a queued job is not finished');
  assert.equal(jobs.nextQueued()?.id, second.id, 'the job resumed later waits behind the one queued before');
  jobs.updateState(second.id, 'running');
  assert.equal(jobs.nextQueued()?.id, first.id);
});

test('a resume from an earlier checkpoint forgets the metrics after it', (t) => {
  const jobs = new JobsRepository(openTestDatabase(t));
  const job = jobs.create({ baseModelId: 'm', config: {} });
  for (let step = 1; step <= 5; step++) jobs.appendMetric(job.id, { step, trainLoss: 3 - step / 10 });
  assert.equal(jobs.deleteMetricsAfter(job.id, 3), 2);
  assert.deepEqual(jobs.metrics(job.id).map((m) => m.step), [1, 2, 3]);
});
