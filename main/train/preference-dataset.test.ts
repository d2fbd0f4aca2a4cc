import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadTokenizer } from '../engine/tokenizer/load-tokenizer.ts';
import { IGNORE_INDEX } from './causal-lm-loss.ts';
import { readPreferenceDataset, validatePreferenceJsonl } from './preference-dataset.ts';
import { tokenizePreferences } from './preference-examples.ts';
import { DatasetError } from './sft-dataset.ts';
import { FIXTURES_MISSING, LORA_FIXTURES, SHAKESPEARE_DIR } from './test/reference-batch.ts';

const user = (content: string) => ({ role: 'user', content });
const assistant = (content: string) => ({ role: 'assistant', content });

describe('preference dataset validation (TRL formats)', () => {
  it('accepts standard and conversational pairs, explicit or implicit prompt, and skips blank lines', () => {
    const text = [
      JSON.stringify({ prompt: 'The sky is', chosen: ' blue.', rejected: ' green.' }),
      '',
      JSON.stringify({ prompt: [user('Sky?')], chosen: [assistant('Blue.')], rejected: [assistant('Green.')] }),
      JSON.stringify({ chosen: [user('Sky?'), assistant('Blue.')], rejected: [user('Sky?'), assistant('Green.')] }),
      JSON.stringify({ chosen: 'The sky is blue.', rejected: 'The sky is green.' }),
    ].join('\n');
    const { rows, problems } = validatePreferenceJsonl(text);
    assert.deepEqual(problems, []);
    assert.deepEqual(rows.map((r) => r.line), [1, 3, 4, 5]);
    assert.deepEqual(rows[2].row, { kind: 'conversational', prompt: [user('Sky?')], chosen: [assistant('Blue.')], rejected: [assistant('Green.')] });
    // TRL's extract_prompt keeps the space with the answers.
    assert.deepEqual(rows[3].row, { kind: 'standard', prompt: 'The sky is', chosen: ' blue.', rejected: ' green.' });
  });

  it('names the line and the field of every bad line', () => {
    const lines = [
      JSON.stringify({ prompt: 'a', chosen: 'b', rejected: 'c' }),
      JSON.stringify({ prompt: 'a', chosen: 'b' }),
      'not json',
      JSON.stringify({ prompt: [user('a')], chosen: 'b', rejected: [assistant('c')] }),
      JSON.stringify({ prompt: [user('a')], chosen: [assistant('b')], rejected: [{ role: 'robot', content: 'c' }] }),
      JSON.stringify({ prompt: 'a', chosen: 3, rejected: 'c' }),
      JSON.stringify({ prompt: 'a', chosen: 'same', rejected: 'same' }),
      JSON.stringify({ prompt: [user('a')], chosen: [], rejected: [assistant('c')] }),
      JSON.stringify({ prompt: 'a', chosen: [assistant('b')], rejected: [assistant('c')] }),
    ];
    const { rows, problems } = validatePreferenceJsonl(lines.join('\n'));
    assert.equal(rows.length, 1);
    assert.deepEqual(problems.map((p) => p.line), [2, 3, 4, 5, 6, 7, 8, 9]);
    const message = (line: number) => problems.find((p) => p.line === line)!.message;
    assert.match(message(2), /"rejected" is missing/);
    assert.match(message(3), /not valid JSON/);
    assert.match(message(4), /"prompt" is a list; expected a string/);
    assert.match(message(5), /"rejected\.0\.role"/);
    assert.match(message(6), /"chosen" is a number; expected a string/);
    assert.match(message(7), /are the same/);
    assert.match(message(8), /"chosen" is an empty message list/);
    assert.match(message(9), /"prompt" is a string, but "chosen" is a message list/);
  });

  it('refuses a file with a bad line before anything runs, naming file and line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hearth-prefs-'));
    try {
      const path = join(dir, 'prefs.jsonl');
      await writeFile(path, `${JSON.stringify({ prompt: 'a', chosen: 'b', rejected: 'c' })}\n{"prompt": "a", "chosen": "b", "rejected": null}\n`);
      await assert.rejects(readPreferenceDataset(path), (error: Error) => error instanceof DatasetError && error.message.includes(`${path}:2: "rejected" is null`));
      await assert.rejects(readPreferenceDataset(join(dir, 'absent.jsonl')), /does not exist/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('preference pairs as token rows (TRL tokenization)', { skip: FIXTURES_MISSING }, () => {
  it('scores only the completion: the assistant answer with the template’s end of turn', async () => {
    const tokenizer = await loadTokenizer(SHAKESPEARE_DIR);
    const lines = await readPreferenceDataset(join(LORA_FIXTURES, 'greet_prefs_train.jsonl'));
    const { pairs, dropped, truncated } = tokenizePreferences(tokenizer, lines.slice(0, 3), 512);
    assert.deepEqual(dropped, []);
    assert.equal(truncated, 0);
    const { chosen, rejected } = pairs[0];
    const prompt = tokenizer.encodeChat([user('Greet Montague.')], { addGenerationPrompt: true });
    assert.deepEqual(chosen.ids.slice(0, prompt.length), prompt);
    assert.deepEqual(rejected.ids.slice(0, prompt.length), prompt);
    assert.ok(chosen.labels.slice(0, prompt.length).every((l) => l === IGNORE_INDEX));
    const answer = chosen.labels.slice(prompt.length);
    assert.ok(answer.every((l) => l !== IGNORE_INDEX));
    assert.equal(tokenizer.decode(answer), 'Good morrow, Montague!<|im_end|>\n');
    assert.equal(tokenizer.decode(rejected.ids.slice(prompt.length)), 'Away with thee, Montague!<|im_end|>\n');
  });

  it('drops pairs whose prompt fills the maximum length, and cuts long completions', async () => {
    const tokenizer = await loadTokenizer(SHAKESPEARE_DIR);
    const lines = await readPreferenceDataset(join(LORA_FIXTURES, 'greet_prefs_train.jsonl'));
    const promptLength = tokenizer.encodeChat(lines[0].row.prompt as never, { addGenerationPrompt: true }).length;
    const cut = tokenizePreferences(tokenizer, lines.slice(0, 1), promptLength + 2);
    assert.equal(cut.truncated, 1);
    assert.equal(cut.pairs[0].chosen.ids.length, promptLength + 2);
    const none = tokenizePreferences(tokenizer, lines.slice(0, 1), promptLength);
    assert.deepEqual(none.dropped, [1]);
  });
});
