// OpenAI's frequency and presence penalties in the sampler: logit[j] -= frequency * count[j] +
// presence * (count[j] > 0), over the generated tokens only, never the repetition penalty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleNextToken, type SamplingParams } from './sampler.ts';
import { SeededRandom } from './seeded-random.ts';

const GREEDY: SamplingParams = { temperature: 0, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, recentIds: [] };

test('the frequency penalty lowers a token by its count times the penalty', () => {
  const logits = new Float32Array([5, 3.5, 0]);
  const random = new SeededRandom(1);
  // Token 0 generated once: 5 - 1 = 4 still beats 3.5.
  assert.equal(sampleNextToken(logits, { ...GREEDY, frequencyPenalty: 1, generatedIds: [0] }, random), 0);
  // Twice: 5 - 2 = 3 falls below 3.5.
  assert.equal(sampleNextToken(logits, { ...GREEDY, frequencyPenalty: 1, generatedIds: [0, 0] }, random), 1);
  // A negative penalty encourages: token 1 generated twice gains 2 and overtakes.
  assert.equal(sampleNextToken(logits, { ...GREEDY, frequencyPenalty: -1, generatedIds: [1, 1] }, random), 1);
  assert.deepEqual([...logits], [5, 3.5, 0], 'the caller\'s logits are left as they were');
});

test('the presence penalty lowers a generated token once, however often it came', () => {
  const logits = new Float32Array([5, 3.5, 0]);
  const random = new SeededRandom(1);
  // 5 - 1.4 = 3.6 > 3.5, whether token 0 came once or five times.
  assert.equal(sampleNextToken(logits, { ...GREEDY, presencePenalty: 1.4, generatedIds: [0] }, random), 0);
  assert.equal(sampleNextToken(logits, { ...GREEDY, presencePenalty: 1.4, generatedIds: [0, 0, 0, 0, 0] }, random), 0);
  assert.equal(sampleNextToken(logits, { ...GREEDY, presencePenalty: 1.6, generatedIds: [0] }, random), 1);
  // Both together: 5 - (0.5 * 2 + 1) = 3 < 3.5.
  assert.equal(sampleNextToken(logits, { ...GREEDY, presencePenalty: 1, frequencyPenalty: 0.5, generatedIds: [0, 0] }, random), 1);
});

test('the penalties apply to generated tokens, not to the prompt the repetition penalty sees', () => {
  const logits = new Float32Array([5, 3.5, 0]);
  // recentIds (the prompt) holds token 0 many times; no generated token: no penalty.
  assert.equal(sampleNextToken(logits, { ...GREEDY, recentIds: [0, 0, 0], frequencyPenalty: 2, generatedIds: [] }, new SeededRandom(1)), 0);
});

test('penalties outside [-2, 2] are refused naming them', () => {
  const logits = new Float32Array([1, 2]);
  assert.throws(() => sampleNextToken(logits, { ...GREEDY, frequencyPenalty: 2.5 }, new SeededRandom(1)), /frequencyPenalty must lie in \[-2, 2\]/);
  assert.throws(() => sampleNextToken(logits, { ...GREEDY, presencePenalty: Number.NaN }, new SeededRandom(1)), /presencePenalty/);
});
