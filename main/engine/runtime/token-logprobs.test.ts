import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenLogprobs } from './token-logprobs.ts';

test('logprobs are the log-softmax of the logits, with the most likely tokens first', () => {
  const logits = new Float32Array([1, 3, 2, -1]);
  const expected = (id: number) => logits[id] - Math.log([...logits].reduce((sum, x) => sum + Math.exp(x), 0));
  const result = tokenLogprobs(logits, 2, 3);
  assert.ok(Math.abs(result.logprob - expected(2)) < 1e-9);
  assert.deepEqual(result.top.map((t) => t.id), [1, 2, 0]);
  for (const t of result.top) assert.ok(Math.abs(t.logprob - expected(t.id)) < 1e-9);
  const total = [0, 1, 2, 3].reduce((sum, id) => sum + Math.exp(tokenLogprobs(logits, id, 0).logprob), 0);
  assert.ok(Math.abs(total - 1) < 1e-9, 'the probabilities add up to 1');
});

test('no alternatives when none are asked for, and never more than the vocabulary', () => {
  const logits = new Float32Array([0, 0]);
  assert.deepEqual(tokenLogprobs(logits, 0, 0).top, []);
  assert.equal(tokenLogprobs(logits, 0, 20).top.length, 2);
  assert.ok(Math.abs(tokenLogprobs(logits, 1, 0).logprob - Math.log(0.5)) < 1e-9);
});

test('large logits do not overflow', () => {
  const logits = new Float32Array([1000, 999]);
  const { logprob } = tokenLogprobs(logits, 0, 1);
  assert.ok(Number.isFinite(logprob) && Math.abs(logprob - -Math.log(1 + Math.exp(-1))) < 1e-6);
});
