import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from './seeded-random.ts';

function take(random: SeededRandom, n: number): number[] {
  return Array.from({ length: n }, () => random.next());
}

test('the same seed gives the same sequence, another seed a different one', () => {
  assert.deepEqual(take(new SeededRandom(42), 100), take(new SeededRandom(42), 100));
  assert.notDeepEqual(take(new SeededRandom(42), 10), take(new SeededRandom(43), 10));
  // Seeds that differ only above 32 bits are different seeds.
  assert.notDeepEqual(take(new SeededRandom(1), 10), take(new SeededRandom(1 + 2 ** 32), 10));
});

test('xoshiro128** matches the reference outputs for state {1, 2, 3, 4}', () => {
  const random = SeededRandom.fromState([1, 2, 3, 4]);
  assert.deepEqual([random.nextUint32(), random.nextUint32(), random.nextUint32()], [11520, 0, 5927040]);
});

test('a saved state resumes the same sequence', () => {
  const random = new SeededRandom(7);
  take(random, 5);
  const resumed = SeededRandom.fromState(random.getState());
  assert.deepEqual(take(resumed, 20), take(random, 20));
});

test('numbers are uniform in [0, 1)', () => {
  const random = new SeededRandom(123);
  const buckets = new Array<number>(10).fill(0);
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const x = random.next();
    assert.ok(x >= 0 && x < 1);
    buckets[Math.floor(x * 10)]++;
  }
  for (const count of buckets) assert.ok(Math.abs(count - n / 10) < n / 100, `bucket count ${count}`);
});

test('bad seeds are refused', () => {
  assert.throws(() => new SeededRandom(Number.NaN), RangeError);
  assert.throws(() => SeededRandom.fromState([0, 0, 0, 0]), RangeError);
});
