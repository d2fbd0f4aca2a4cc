import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelSummary } from '../../../main/common/contracts/models.ts';
import { applyBuildEvent, buildFraction, buildKey, markBuildRequested, settleFromLibrary, variantStatus } from './build-progress.ts';

const model: ModelSummary = {
  id: 'm1',
  name: 'demo',
  architecture: 'llama',
  parameters: 1,
  contextLength: 256,
  sizeOnDiskBytes: 1,
  bundled: false,
  variants: [{ id: 'v1', precision: 'int8', attention: 'fused', status: 'ready', weightBytes: 10, measuredPeakBytes: null, error: null }],
};

test('build events are tracked per model and precision', () => {
  let builds = markBuildRequested({}, 'm1', 'int4');
  assert.equal(builds[buildKey('m1', 'int4')].state, 'building');
  assert.equal(buildFraction(builds[buildKey('m1', 'int4')]), null);
  builds = applyBuildEvent(builds, { type: 'model.build', modelId: 'm1', precision: 'int4', state: 'building', done: 3, total: 12, label: 'quantizing', error: null });
  assert.equal(buildFraction(builds[buildKey('m1', 'int4')]), 0.25);
  builds = applyBuildEvent(builds, { type: 'worker.status', state: 'idle', modelId: null, precision: null, device: null, cpuReason: null, memoryBytes: null, estimatedBytes: null, message: null });
  assert.equal(Object.keys(builds).length, 1);
});

test('a build the library already lists as ready stops waiting', () => {
  const builds = settleFromLibrary(markBuildRequested({}, 'm1', 'int8'), [model]);
  assert.equal(builds[buildKey('m1', 'int8')].state, 'ready');
});

test('variantStatus reads the library', () => {
  assert.equal(variantStatus(model, 'int8'), 'ready');
  assert.equal(variantStatus(model, 'int4'), 'missing');
  assert.equal(variantStatus(undefined, 'int4'), 'missing');
});

test("the build worker's bytes move the bar within a step, never past the builder's own end", () => {
  let builds = markBuildRequested({}, 'm1', 'int4');
  const event = { type: 'model.build', modelId: 'm1', precision: 'int4', state: 'building', done: 2, total: 8, label: 'layer 1 of 6', error: null } as const;
  builds = applyBuildEvent(builds, { ...event, bytesWritten: 600, expectedBytes: 1000, etaMs: 4000 });
  const progress = builds[buildKey('m1', 'int4')];
  assert.deepEqual([progress.bytesWritten, progress.expectedBytes, progress.etaMs], [600, 1000, 4000]);
  assert.equal(buildFraction(progress), 0.6, 'the bytes are ahead of the steps (2 of 8)');
  assert.equal(buildFraction({ ...progress, bytesWritten: 1500 }), 0.99, 'past the planned figure: not done until the builder says so');
  assert.equal(buildFraction({ ...progress, done: 8 }), 1);
  // An event from before the build worker (or from an older Hearth) has no bytes: the steps alone.
  assert.equal(buildFraction(applyBuildEvent(builds, event)[buildKey('m1', 'int4')]), 0.25);
});

test('a cancelled build is tracked as cancelled, with nothing left to tell', () => {
  const builds = applyBuildEvent(markBuildRequested({}, 'm1', 'int4'), { type: 'model.build', modelId: 'm1', precision: 'int4', state: 'cancelled', done: 0, total: 1, label: 'cancelled', error: null });
  assert.equal(builds[buildKey('m1', 'int4')].state, 'cancelled');
  assert.equal(builds[buildKey('m1', 'int4')].etaMs, null);
});
