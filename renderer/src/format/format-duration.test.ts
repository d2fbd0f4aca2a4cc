import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration } from './format-duration.ts';

test('durations read as seconds, minutes and hours', () => {
  assert.equal(formatDuration(400), '0 s');
  assert.equal(formatDuration(45_400), '45 s');
  assert.equal(formatDuration(200_000), '3 min 20 s');
  assert.equal(formatDuration(180_000), '3 min');
  assert.equal(formatDuration(7_500_000), '2 h 5 min');
  assert.equal(formatDuration(-5), '0 s');
});
