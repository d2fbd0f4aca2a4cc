import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FINETUNE_CONFIG, type Job } from '../../../main/common/contracts/jobs.ts';
import { jobTitle, progressText } from './job-text.ts';

const job: Job = {
  id: 'j',
  baseModelId: 'm',
  trainPath: '/home/me/data/greet.jsonl',
  evalPath: null,
  config: DEFAULT_FINETUNE_CONFIG,
  state: 'running',
  error: null,
  resumable: false,
  checkpointStep: null,
  progress: { step: 12, totalSteps: 60, etaMs: 10_200 },
  createdAt: 0,
  startedAt: 0,
  finishedAt: null,
  adapterId: null,
  adapterDir: null,
};

test('a job is named by its data file and model, and says its step and time left while it runs', () => {
  assert.equal(jobTitle(job, 'Shakespeare'), 'greet.jsonl on Shakespeare');
  assert.equal(jobTitle({ ...job, trainPath: 'C:\\data\\chat.jsonl' }, undefined), 'chat.jsonl on a deleted model');
  assert.equal(progressText(job), 'Step 12 of 60 · about 10 s left');
  assert.equal(progressText({ ...job, state: 'cancelled' }), 'Step 12 of 60');
  assert.equal(progressText({ ...job, progress: { step: 0, totalSteps: null, etaMs: null } }), 'Preparing the data and the training graph…');
});
