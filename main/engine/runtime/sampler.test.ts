import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleNextToken, topKIndices } from './sampler.ts';
import type { SamplingParams } from './sampler.ts';
import { SeededRandom } from './seeded-random.ts';

const OFF: SamplingParams = { temperature: 1, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, recentIds: [] };

function randomLogits(size: number, seed: number): Float32Array {
  const random = new SeededRandom(seed);
  const logits = new Float32Array(size);
  for (let i = 0; i < size; i++) logits[i] = (random.next() - 0.5) * 20;
  return logits;
}

function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** How often each token comes out in n draws. */
function histogram(logits: Float32Array, params: SamplingParams, n: number, seed = 1): Map<number, number> {
  const random = new SeededRandom(seed);
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const id = sampleNextToken(logits, params, random);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

test('the same seed draws the same tokens', () => {
  const logits = randomLogits(1000, 3);
  const params = { ...OFF, temperature: 2, topK: 50, topP: 0.95 };
  const draw = (seed: number): number[] => {
    const random = new SeededRandom(seed);
    return Array.from({ length: 50 }, () => sampleNextToken(logits, params, random));
  };
  assert.deepEqual(draw(9), draw(9));
  assert.notDeepEqual(draw(9), draw(10));
  assert.ok(new Set(draw(9)).size > 5, 'temperature 2 should spread the draws');
});

test('temperature 0 is greedy: the argmax', () => {
  const logits = randomLogits(5000, 4);
  assert.equal(sampleNextToken(logits, { ...OFF, temperature: 0 }, new SeededRandom(1)), argmax(logits));
});

test('top-k = 1 equals greedy whatever the draw', () => {
  const logits = randomLogits(5000, 5);
  const counts = histogram(logits, { ...OFF, temperature: 5, topK: 1 }, 50);
  assert.deepEqual([...counts.keys()], [argmax(logits)]);
});

test('top-k draws only among the k largest', () => {
  const logits = randomLogits(2000, 6);
  const top = new Set(topKIndices(logits, 5));
  const sorted = [...logits.keys()].sort((a, b) => logits[b] - logits[a]).slice(0, 5);
  assert.deepEqual([...topKIndices(logits, 5)], sorted);
  const counts = histogram(logits, { ...OFF, temperature: 100, topK: 5 }, 500);
  for (const id of counts.keys()) assert.ok(top.has(id));
  assert.equal(counts.size, 5);
});

test('a small top-p keeps only the top token, a larger one the nucleus', () => {
  const logits = new Float32Array([Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)]);
  assert.deepEqual([...histogram(logits, { ...OFF, topP: 0.01 }, 200).keys()], [0]);
  // Mass before token 1 is 0.5 < 0.6, so it is kept; before token 2 it is 0.8, so not.
  const counts = histogram(logits, { ...OFF, topP: 0.6 }, 2000);
  assert.deepEqual([...counts.keys()].sort(), [0, 1]);
  assert.ok(Math.abs(counts.get(0)! / 2000 - 0.625) < 0.05);
  // The same through the top-k path.
  assert.deepEqual([...histogram(logits, { ...OFF, topK: 3, topP: 0.6 }, 500).keys()].sort(), [0, 1]);
});

test('top-p over the whole row keeps the sorted nucleus, the crossing token included', () => {
  const logits = randomLogits(3000, 11);
  const params = { ...OFF, temperature: 0.5, topP: 0.7 };
  const order = [...logits.keys()].sort((a, b) => logits[b] - logits[a]);
  const weights = order.map((id) => Math.exp((logits[id] - logits[order[0]]) / params.temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  const nucleus = new Set<number>();
  let mass = 0;
  for (let i = 0; i < order.length && mass < params.topP * total; i++) {
    nucleus.add(order[i]);
    mass += weights[i];
  }
  assert.ok(nucleus.size > 3, `nucleus of ${nucleus.size}`);
  const drawn = histogram(logits, params, 5000);
  for (const id of drawn.keys()) assert.ok(nucleus.has(id), `token ${id} is outside the nucleus`);
  // The token that crosses topP is kept (it carries enough weight here to be drawn).
  assert.ok(drawn.has([...nucleus].at(-1)!));
  // The top-k path (k = whole row less one) agrees.
  const viaTopK = histogram(logits, { ...params, topK: 2999 }, 500);
  for (const id of viaTopK.keys()) assert.ok(nucleus.has(id));
});

test('top-p = 0 keeps the top token on both paths', () => {
  const logits = randomLogits(500, 12);
  assert.deepEqual([...histogram(logits, { ...OFF, topP: 0 }, 100).keys()], [argmax(logits)]);
  assert.deepEqual([...histogram(logits, { ...OFF, topK: 10, topP: 0 }, 100).keys()], [argmax(logits)]);
});

test('min-p drops tokens below minP times the top probability', () => {
  const logits = new Float32Array([Math.log(0.4), Math.log(0.3), Math.log(0.2), Math.log(0.1)]);
  // Threshold 0.45 * 0.4 = 0.18: token 3 (0.1) is dropped; with 0.7 (0.28) only tokens 0 and 1 (0.3) stay.
  assert.deepEqual([...histogram(logits, { ...OFF, minP: 0.45 }, 2000).keys()].sort(), [0, 1, 2]);
  assert.deepEqual([...histogram(logits, { ...OFF, topK: 4, minP: 0.7 }, 500).keys()].sort(), [0, 1]);
});

test('repetition penalty changes the argmax in a constructed case', () => {
  const logits = new Float32Array([2.0, 1.8, -1.0, 0.5]);
  const greedy = { ...OFF, temperature: 0 };
  assert.equal(sampleNextToken(logits, greedy, new SeededRandom(1)), 0);
  // 2.0 / 1.5 = 1.33 < 1.8: token 1 wins once token 0 is penalized (listed twice: penalized once).
  assert.equal(sampleNextToken(logits, { ...greedy, repetitionPenalty: 1.5, recentIds: [0, 0, 2] }, new SeededRandom(1)), 1);
  // Negative logits are multiplied, pushing them further down; the caller's row is untouched.
  assert.deepEqual([...logits], [2.0, 1.8, -1.0, 0.5].map(Math.fround));
  const negative = new Float32Array([-1.0, -1.2]);
  assert.equal(sampleNextToken(negative, { ...greedy, repetitionPenalty: 1.5, recentIds: [0] }, new SeededRandom(1)), 1);
});

test('full-row sampling follows the softmax', () => {
  const logits = new Float32Array([0, Math.log(3)]);
  const counts = histogram(logits, OFF, 4000);
  assert.ok(Math.abs(counts.get(1)! / 4000 - 0.75) < 0.03);
  const cooled = histogram(logits, { ...OFF, temperature: 0.5 }, 4000);
  assert.ok(Math.abs(cooled.get(1)! / 4000 - 0.9) < 0.03);
});

test('bad parameters are refused with a clear message', () => {
  const logits = new Float32Array([1, 2]);
  assert.throws(() => sampleNextToken(logits, { ...OFF, temperature: -1 }, new SeededRandom(1)), /temperature/);
  assert.throws(() => sampleNextToken(logits, { ...OFF, topP: 1.5 }, new SeededRandom(1)), /topP/);
  assert.throws(() => sampleNextToken(logits, { ...OFF, topK: 2.5 }, new SeededRandom(1)), /topK/);
});

test('a 151936-token row samples in a few milliseconds', () => {
  const logits = randomLogits(151936, 8);
  const random = new SeededRandom(2);
  const recentIds = Array.from({ length: 256 }, (_, i) => i * 37);
  const cases: SamplingParams[] = [
    { temperature: 0.7, topK: 40, topP: 0.9, minP: 0.05, repetitionPenalty: 1.1, recentIds },
    { temperature: 0.7, topK: 0, topP: 0.9, minP: 0, repetitionPenalty: 1.1, recentIds },
    { temperature: 0.7, topK: 0, topP: 1, minP: 0.1, repetitionPenalty: 1, recentIds: [] },
    { temperature: 1, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, recentIds: [] },
  ];
  for (const params of cases) {
    for (let i = 0; i < 3; i++) sampleNextToken(logits, params, random); // warm up the JIT
    const runs = 20;
    const start = performance.now();
    for (let i = 0; i < runs; i++) sampleNextToken(logits, params, random);
    const perToken = (performance.now() - start) / runs;
    assert.ok(perToken < 10, `${JSON.stringify({ ...params, recentIds: params.recentIds.length })}: ${perToken.toFixed(2)} ms per token`);
  }
});
