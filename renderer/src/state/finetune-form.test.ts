import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FINETUNE_CONFIG, suggestedLearningRate } from '../../../main/common/contracts/jobs.ts';
import { configFromValues, fieldsFor, formValues, PARAMETER_FIELDS } from './finetune-form.ts';

test('the form starts from the defaults and gives them back unchanged', () => {
  const values = formValues();
  assert.equal(values.r, '8');
  assert.equal(values.learningRate, '0.0002');
  assert.equal(values.targets, 'all-linear');
  assert.deepEqual(configFromValues(values), { config: DEFAULT_FINETUNE_CONFIG });
  assert.equal(new Set(PARAMETER_FIELDS.map((f) => f.label)).size, PARAMETER_FIELDS.length, 'every field has its own accessible name');
});

test('typed values become the config; an empty Steps means train by epochs', () => {
  const values = { ...formValues(), steps: '', epochs: '2', learningRate: '2e-3', targets: 'q_proj, v_proj', schedule: 'cosine' as const };
  const result = configFromValues(values);
  assert.ok('config' in result);
  assert.deepEqual([result.config.steps, result.config.epochs, result.config.learningRate, result.config.targets, result.config.schedule], [null, 2, 0.002, 'q_proj, v_proj', 'cosine']);
});

test('a bad field is named by its label', () => {
  assert.deepEqual(configFromValues({ ...formValues(), batchSize: 'eight' }), { error: 'Batch size: enter a number.' });
  const rank = configFromValues({ ...formValues(), r: '0' });
  assert.ok('error' in rank && rank.error.startsWith('Rank: '), JSON.stringify(rank));
  const targets = configFromValues({ ...formValues(), targets: 'attention' });
  assert.ok('error' in targets && /^Target modules: .*all-linear/.test(targets.error), JSON.stringify(targets));
});

test('tiny models start at a ten times higher learning rate than real ones', () => {
  assert.equal(suggestedLearningRate(5e6), 2e-3);
  assert.equal(suggestedLearningRate(1.5e9), 2e-4);
});

test('DPO shows a beta field and sends method and beta; SFT leaves beta out', () => {
  assert.ok(!fieldsFor('sft').some((f) => f.key === 'beta'));
  assert.ok(fieldsFor('dpo').some((f) => f.key === 'beta' && f.label === 'Beta'));
  const dpo = configFromValues({ ...formValues(), method: 'dpo', beta: '0.25' });
  assert.ok('config' in dpo && dpo.config.method === 'dpo' && dpo.config.beta === 0.25, JSON.stringify(dpo));
  const sft = configFromValues({ ...formValues(), beta: 'not read' });
  assert.ok('config' in sft && sft.config.method === 'sft' && sft.config.beta === 0.1, JSON.stringify(sft));
  const bad = configFromValues({ ...formValues(), method: 'dpo', beta: '0' });
  assert.ok('error' in bad && bad.error.startsWith('Beta: '), JSON.stringify(bad));
});
