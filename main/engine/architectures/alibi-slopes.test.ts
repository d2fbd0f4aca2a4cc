import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bloomAlibiSlopes, mptAlibiSlopes } from './alibi-slopes.ts';

test('BLOOM slopes: geometric for a power of two, then odd powers of the next base', () => {
  assert.deepEqual(bloomAlibiSlopes(4), [2 ** -2, 2 ** -4, 2 ** -6, 2 ** -8]);
  assert.deepEqual(bloomAlibiSlopes(6), [2 ** -2, 2 ** -4, 2 ** -6, 2 ** -8, 2 ** -1, 2 ** -3]);
  const twelve = bloomAlibiSlopes(12);
  assert.equal(twelve.length, 12);
  assert.equal(twelve[7], 2 ** -8);
  assert.equal(twelve[8], Math.fround(Math.fround(2 ** -0.5)));
  assert.equal(twelve[9], Math.fround(Math.fround(2 ** -0.5) ** 3));
});

test('MPT slopes: 2^-(k·max/P) over the next power of two, odd indices first when trimming', () => {
  assert.deepEqual(mptAlibiSlopes(4, 8), [2 ** -2, 2 ** -4, 2 ** -6, 2 ** -8]);
  assert.deepEqual(mptAlibiSlopes(6, 8), [2 ** -2, 2 ** -4, 2 ** -6, 2 ** -8, 2 ** -1, 2 ** -3]);
  assert.deepEqual(mptAlibiSlopes(2, 8), [2 ** -4, 2 ** -8]);
  assert.deepEqual(mptAlibiSlopes(4, 16), [2 ** -4, 2 ** -8, 2 ** -12, 2 ** -16]);
});
