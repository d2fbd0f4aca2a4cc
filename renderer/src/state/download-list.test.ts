import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Download } from '../../../main/common/contracts/hub.ts';
import { applyDownloadEvent, unfinishedDownloads } from './download-list.ts';

const base: Download = {
  jobId: 'a',
  repo: 'org/a',
  revision: 'main',
  commit: null,
  file: null,
  state: 'running',
  error: null,
  resumable: false,
  destDir: '/d/a',
  modelId: null,
  progress: { doneBytes: 0, totalBytes: null, bytesPerSecond: null, etaMs: null, files: [], retrying: null },
  createdAt: 1,
  finishedAt: null,
};

test("a progress event moves its own download's bytes and state, and no other's", () => {
  const list = [base, { ...base, jobId: 'b', repo: 'org/b' }];
  const progress = { doneBytes: 50, totalBytes: 100, bytesPerSecond: 10, etaMs: 5000, files: [], retrying: null };
  const next = applyDownloadEvent(list, { type: 'download.progress', jobId: 'b', state: 'running', progress, error: null });
  assert.deepEqual(next[0], base);
  assert.deepEqual(next[1].progress, progress);
  const failed = applyDownloadEvent(next, { type: 'download.progress', jobId: 'b', state: 'failed', progress, error: 'the Hub answered 500' });
  assert.equal(failed[1].state, 'failed');
  assert.equal(failed[1].error, 'the Hub answered 500');
  assert.equal(failed[1].resumable, true);
});

test('the Models page shows the downloads still under way or resumable', () => {
  const states: Download['state'][] = ['running', 'importing', 'paused', 'failed', 'cancelled', 'completed'];
  const list = states.map((state, i) => ({ ...base, jobId: String(i), state }));
  assert.deepEqual(unfinishedDownloads(list).map((d) => d.state), ['running', 'importing', 'paused', 'failed']);
});
