import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatParamsSchema, DEFAULT_CHAT_PARAMS, MAX_SEED, type ChatParams } from '../../../main/common/contracts/chat.ts';
import { escapeStopString, paramsFromSettingsForm, settingsFormOf, unescapeStopString, type SettingsForm } from './chat-settings-form.ts';

const PARAMS: ChatParams = { ...DEFAULT_CHAT_PARAMS, topK: 40, minP: 0.05, repetitionPenalty: 1.1, seed: 7, stop: ['\n\nUser:', 'END'] };

function saved(form: SettingsForm, current: ChatParams = PARAMS): ChatParams {
  const result = paramsFromSettingsForm(form, current);
  assert.ok(result.ok, result.ok ? '' : result.problem);
  return result.params;
}

function problem(form: SettingsForm): string {
  const result = paramsFromSettingsForm(form, PARAMS);
  assert.equal(result.ok, false, 'the form was accepted');
  return result.ok ? '' : result.problem;
}

const edited = (change: Partial<SettingsForm['numbers']> & { seed?: string; stop?: string }): SettingsForm => {
  const form = settingsFormOf(PARAMS);
  const { seed, stop, ...numbers } = change;
  return { numbers: { ...form.numbers, ...numbers }, seed: seed ?? form.seed, stop: stop ?? form.stop };
};

test('the form shows the parameters and saves them back unchanged', () => {
  const form = settingsFormOf(PARAMS);
  assert.equal(form.numbers.topK, '40');
  assert.equal(form.numbers.repetitionPenalty, '1.1');
  assert.equal(form.seed, '7');
  assert.equal(form.stop, '\\n\\nUser:\nEND', 'one stop string per line, line breaks escaped');
  assert.deepEqual(saved(form), PARAMS);
  assert.equal(settingsFormOf(DEFAULT_CHAT_PARAMS).seed, '', 'no seed shows as empty');
});

test('the new settings are saved as typed, and the result is what the contract takes', () => {
  const params = saved(edited({ topK: '1', minP: '0.2', repetitionPenalty: '1.3', seed: ' 123 ', stop: 'Alas\n\n a b \\tx\\\\y' }));
  assert.deepEqual({ topK: params.topK, minP: params.minP, repetitionPenalty: params.repetitionPenalty, seed: params.seed }, { topK: 1, minP: 0.2, repetitionPenalty: 1.3, seed: 123 });
  assert.deepEqual(params.stop, ['Alas', ' a b \tx\\y'], 'empty lines are dropped, spaces kept, escapes read');
  assert.deepEqual(ChatParamsSchema.parse(params), params);
  assert.equal(saved(edited({ seed: '' })).seed, null, 'empty seed: random');
  assert.deepEqual(saved(edited({ stop: '' })).stop, []);
  assert.equal(saved(edited({ seed: String(MAX_SEED) })).seed, MAX_SEED);
});

test('out-of-range values get a message naming the setting and its range', () => {
  assert.equal(problem(edited({ topK: '-1' })), 'Top-k must be a whole number from 0 to 1000.');
  assert.equal(problem(edited({ topK: '2.5' })), 'Top-k must be a whole number from 0 to 1000.');
  assert.equal(problem(edited({ minP: '1.5' })), 'Min-p must be a number from 0 to 1.');
  assert.equal(problem(edited({ repetitionPenalty: '' })), 'Repetition penalty must be a number from 0.5 to 2.');
  assert.equal(problem(edited({ repetitionPenalty: '3' })), 'Repetition penalty must be a number from 0.5 to 2.');
  assert.match(problem(edited({ seed: '-4' })), /^Seed must be a whole number from 0 to 4294967295, or empty/);
  assert.match(problem(edited({ seed: '1e3' })), /^Seed must be/);
  assert.match(problem(edited({ seed: String(MAX_SEED + 1) })), /^Seed must be/);
  assert.equal(problem(edited({ stop: Array.from({ length: 17 }, (_, i) => `s${i}`).join('\n') })), 'At most 16 stop strings; there are 17.');
  assert.match(problem(edited({ stop: 'x'.repeat(201) })), /^A stop string is at most 200 characters/);
});

test('stop-string escapes round-trip', () => {
  for (const stop of ['\n', 'a\\nb', '\\', '\t\\t', 'plain']) assert.equal(unescapeStopString(escapeStopString(stop)), stop);
  assert.equal(unescapeStopString('C:\\path'), 'C:\\path', 'a backslash before another character stays');
});
