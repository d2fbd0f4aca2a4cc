import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BuildProgress } from '../state/build-progress.ts';
import { buildProgressText } from './build-progress-text.ts';

const building: BuildProgress = { state: 'building', done: 3, total: 26, label: 'layer 3 of 24', error: null, bytesWritten: null, expectedBytes: null, etaMs: null };

test('a build reads as its step, the bytes written of the planned whole, and the time left', () => {
  assert.equal(buildProgressText(building), 'layer 3 of 24');
  assert.equal(buildProgressText({ ...building, bytesWritten: 120 * 1024 ** 2, expectedBytes: 350 * 1024 ** 2, etaMs: 70_000 }), 'layer 3 of 24 · 120 MB of about 350 MB · about 1 min 10 s left');
  assert.equal(buildProgressText({ ...building, bytesWritten: 5 * 1024 ** 2 }), 'layer 3 of 24 · 5 MB written', 'no planned figure: the bytes alone');
  assert.equal(buildProgressText({ ...building, bytesWritten: 0, etaMs: null }), 'layer 3 of 24', 'nothing written yet is not said');
  assert.equal(buildProgressText({ ...building, etaMs: 400 }), 'layer 3 of 24 · almost done', 'not "about 0 s left"');
});
