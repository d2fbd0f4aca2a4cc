import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkerStatus } from './worker-status-text.ts';
import { workerStatusText } from './worker-status-text.ts';

const base: WorkerStatus = {
  type: 'worker.status',
  state: 'ready',
  modelId: 'm1',
  precision: 'int8',
  device: 'cpu',
  cpuReason: 'no GPU found',
  memoryBytes: 15 * 1024 * 1024,
  estimatedBytes: 12 * 1024 * 1024,
  message: null,
};

test('a loaded model shows where it runs, its measured memory next to the estimate, and why the CPU', () => {
  const text = workerStatusText(base, 'shakespeare-5m');
  assert.equal(text.summary, 'shakespeare-5m int8 ready on the CPU');
  assert.equal(text.memory, 'uses 15 MB (estimated 12 MB)');
  assert.equal(text.cpuReason, 'Runs on the CPU: no GPU found');
});

test('the CPU is never quiet, even when the reason is missing; the GPU needs no reason', () => {
  assert.equal(workerStatusText({ ...base, cpuReason: null }, null).cpuReason, 'Runs on the CPU: the reason was not reported');
  assert.equal(workerStatusText({ ...base, device: 'gpu', cpuReason: null }, null).cpuReason, null);
});

test('a crash is said plainly, with the message', () => {
  const text = workerStatusText({ ...base, state: 'crashed', message: 'exit code 137' }, null);
  assert.equal(text.summary, 'The model process stopped unexpectedly: exit code 137');
  assert.equal(text.memory, null);
});
