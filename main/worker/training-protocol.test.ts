// The training worker's messages: what each side accepts, as they cross the process boundary
// (JSON, where a NaN loss would arrive as null and must be refused rather than plotted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrainingReplySchema, TrainingRequestSchema } from './training-protocol.ts';

const overJson = (message: unknown): unknown => JSON.parse(JSON.stringify(message));

test('a start request carries the job with its settings, defaults filled in', () => {
  const start = TrainingRequestSchema.parse(
    overJson({ type: 'start', jobId: 'j', baseDir: '/m', dataPath: '/d/train.jsonl', evalDataPath: null, outDir: '/data/jobs/j', config: { steps: 60 } }),
  );
  assert.equal(start.type, 'start');
  assert.ok(start.type === 'start' && start.config.steps === 60 && start.config.r === 8 && start.config.targets === 'all-linear');
  assert.equal(TrainingRequestSchema.safeParse({ type: 'start', jobId: 'j' }).success, false, 'a start without its paths is refused');
  assert.equal(TrainingRequestSchema.safeParse({ type: 'start', jobId: 'j', baseDir: '/m', dataPath: '/d', evalDataPath: null, outDir: '/o', config: { r: 0 } }).success, false);
  assert.deepEqual(TrainingRequestSchema.parse({ type: 'cancel' }), { type: 'cancel' });
});

test('progress and endings are checked; a loss that is not a number is refused', () => {
  const step = { type: 'step', step: 3, totalSteps: 60, loss: 2.5, lr: 0.002, tokensPerSecond: 900, etaMs: 1200 };
  assert.deepEqual(TrainingReplySchema.parse(overJson(step)), step);
  assert.equal(TrainingReplySchema.safeParse(overJson({ ...step, loss: Number.NaN })).success, false, 'NaN arrives as null');
  assert.equal(TrainingReplySchema.safeParse({ ...step, step: 0 }).success, false, 'steps count from 1');
  assert.equal(TrainingReplySchema.safeParse({ type: 'finished', status: 'completed', step: 60, adapterDir: '/data/jobs/j' }).success, true);
  assert.equal(TrainingReplySchema.safeParse({ type: 'finished', status: 'crashed', step: 60, adapterDir: null }).success, false);
  assert.equal(TrainingReplySchema.safeParse({ type: 'failed', message: 'bad data' }).success, true);
  assert.equal(TrainingReplySchema.safeParse({ type: 'progress' }).success, false, 'an unknown message type');
});
