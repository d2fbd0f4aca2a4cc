import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FINETUNE_CONFIG } from '../../../main/common/contracts/jobs.ts';
import type { JobDetail } from '../../../main/common/contracts/jobs.ts';
import { applyProgressToDetail, applyProgressToList, lossSeries, rewardSeries, type JobProgressEvent } from './job-progress.ts';

function detail(overrides: Partial<JobDetail> = {}): JobDetail {
  return {
    id: 'j1',
    baseModelId: 'm',
    trainPath: '/d/greet.jsonl',
    evalPath: null,
    config: DEFAULT_FINETUNE_CONFIG,
    state: 'running',
    error: null,
    resumable: false,
    checkpointStep: null,
    progress: { step: 0, totalSteps: 60, etaMs: null },
    createdAt: 1,
    startedAt: 1,
    finishedAt: null,
    adapterId: null,
    adapterDir: null,
    metrics: [],
    ...overrides,
  };
}

function event(step: number, values: Partial<JobProgressEvent> = {}): JobProgressEvent {
  return { type: 'job.progress', jobId: 'j1', state: 'running', step, totalSteps: 60, trainLoss: null, etaMs: 1000, ...values };
}

test('steps add points to the curve, an evaluation fills in its step, other jobs are ignored', () => {
  let job = detail();
  job = applyProgressToDetail(job, event(1, { trainLoss: 3, lr: 0.002, tokensPerSecond: 500 }));
  job = applyProgressToDetail(job, event(2, { trainLoss: 2.5 }));
  job = applyProgressToDetail(job, event(2, { evalLoss: 2.7 }));
  job = applyProgressToDetail(job, { ...event(3, { trainLoss: 9 }), jobId: 'other' });
  assert.deepEqual(job.metrics, [
    { step: 1, trainLoss: 3, evalLoss: null, lr: 0.002, tokensPerSecond: 500 },
    { step: 2, trainLoss: 2.5, evalLoss: 2.7, lr: null, tokensPerSecond: null },
  ]);
  assert.deepEqual(job.progress, { step: 2, totalSteps: 60, etaMs: 1000 });
  assert.deepEqual(lossSeries(job.metrics), [[1, 2], [3, 2.5], [null, 2.7]]);
});

test('a resume from an earlier checkpoint cuts the curve back to it; it continues from there', () => {
  const metrics = [1, 2, 3, 4, 5].map((step) => ({ step, trainLoss: 3 - step / 10, evalLoss: null, lr: null, tokensPerSecond: null }));
  let job = detail({ state: 'failed', metrics, progress: { step: 5, totalSteps: 60, etaMs: null } });
  job = applyProgressToDetail(job, event(3));
  assert.deepEqual(job.metrics.map((m) => m.step), [1, 2, 3]);
  assert.equal(job.state, 'running');
  job = applyProgressToDetail(job, event(4, { trainLoss: 1 }));
  assert.deepEqual(job.metrics.map((m) => [m.step, m.trainLoss]), [[1, 2.9], [2, 2.8], [3, 2.7], [4, 1]]);
});

test('the list moves only the event’s job', () => {
  const jobs = [detail(), detail({ id: 'j2', state: 'queued' })];
  const next = applyProgressToList(jobs, event(7, { state: 'cancelled', etaMs: null }));
  assert.deepEqual([next[0].state, next[0].progress.step, next[1].state], ['cancelled', 7, 'queued']);
});

test('a DPO job’s rewards follow its events: train rewards on steps, eval rewards on evaluations, as chart series', () => {
  const train = { chosen: 0.5, rejected: -1, margin: 1.5, accuracy: 0.75 };
  const evaluation = { chosen: 0.25, rejected: -0.5, margin: 0.75, accuracy: 1 };
  let job = detail({ config: { ...DEFAULT_FINETUNE_CONFIG, method: 'dpo' } });
  job = applyProgressToDetail(job, event(1, { trainLoss: 0.69, rewards: { chosen: 0, rejected: 0, margin: 0, accuracy: 0 } }));
  job = applyProgressToDetail(job, event(2, { trainLoss: 0.4, rewards: train }));
  job = applyProgressToDetail(job, event(2, { evalLoss: 0.5, rewards: evaluation }));
  assert.deepEqual(job.metrics.find((m) => m.step === 2), { step: 2, trainLoss: 0.4, evalLoss: 0.5, lr: null, tokensPerSecond: null, rewards: train, evalRewards: evaluation });
  const series = rewardSeries(job.metrics);
  assert.deepEqual(series.rewards, [[1, 2], [0, 0.5], [0, -1], [0, 1.5], [null, 0.25], [null, -0.5], [null, 0.75]]);
  assert.deepEqual(series.accuracy, [[1, 2], [0, 0.75], [null, 1]]);
});
