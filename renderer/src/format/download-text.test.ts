import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DownloadProgress } from '../../../main/common/contracts/hub.ts';
import { downloadFraction, downloadProgressText, downloadTitle } from './download-text.ts';

const MB = 1024 * 1024;
const progress = (p: Partial<DownloadProgress>): DownloadProgress => ({ doneBytes: 0, totalBytes: null, bytesPerSecond: null, etaMs: null, files: [], retrying: null, ...p });

test('a running download shows its bytes, speed and time left; a paused one only its bytes', () => {
  assert.equal(downloadProgressText(progress({ doneBytes: 4.5 * MB, totalBytes: 9 * MB, bytesPerSecond: 1.2 * MB, etaMs: 4000 })), '4.5 MB of 9 MB · 1.2 MB/s · 4 s left');
  assert.equal(downloadProgressText(progress({ doneBytes: 4.5 * MB, totalBytes: 9 * MB })), '4.5 MB of 9 MB');
  assert.equal(downloadProgressText(progress({ doneBytes: 2 * MB })), '2 MB so far');
  assert.equal(downloadProgressText(progress({ doneBytes: 9 * MB, totalBytes: 9 * MB, etaMs: 0 })), '9 MB of 9 MB', 'no time left shown at the end');
});

test('the bar fraction is unknown until the total is, and never above 1', () => {
  assert.equal(downloadFraction(progress({ doneBytes: 5 })), null);
  assert.equal(downloadFraction(progress({ doneBytes: 5, totalBytes: 10 })), 0.5);
  assert.equal(downloadFraction(progress({ doneBytes: 0, totalBytes: 0 })), 1);
  assert.equal(downloadFraction(progress({ doneBytes: 11, totalBytes: 10 })), 1);
});

test('the title says the state, the repo and the file picked', () => {
  assert.equal(downloadTitle({ state: 'paused', repo: 'org/name', file: 'm-Q4_K_M.gguf' }), 'Paused: org/name (m-Q4_K_M.gguf)');
  assert.equal(downloadTitle({ state: 'running', repo: 'org/name', file: null }), 'Downloading: org/name');
});
