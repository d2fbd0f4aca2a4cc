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
