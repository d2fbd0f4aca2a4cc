// `hearth run`: greedy generation reproduces the PyTorch fixtures exactly, from ids (hf-tiny,
// no tokenizer) and from a text prompt (shakespeare-5m), with --json and streaming.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HF_TINY_DIR, SHAKESPEARE_DIR, fixturesMissing, readReference } from '../../engine/runtime/test/reference-fixtures.ts';
import { CliScratch, lastLine } from '../cli-test-support.ts';

const scratch = new CliScratch();
after(() => scratch.cleanup());

describe('hearth run on hf-tiny llama', { skip: fixturesMissing(HF_TINY_DIR) }, () => {
  const llama = join(HF_TINY_DIR, 'llama');

  it('--ids --ignore-eos --json gives greedy_ids exactly, on one JSON line', async () => {
    const reference = await readReference(join(llama, 'reference.safetensors'));
    const prompt = reference.ints('greedy_prompt').data.join(',');
    const result = await scratch.hearth(['run', llama, '--ids', prompt, '--ignore-eos', '--json', '--max-new-tokens', '20']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim().split('\n').length, 1, 'with --json stdout holds only the JSON line');
    const line = JSON.parse(lastLine(result.stdout));
    assert.deepEqual(Object.keys(line), ['prompt_ids', 'ids', 'text', 'ttft_ms', 'tok_s']);
    assert.deepEqual(line.prompt_ids, prompt.split(',').map(Number));
    assert.deepEqual(line.ids, reference.ints('greedy_ids').data);
    assert.equal(line.text, '', 'no tokenizer, no text');
    assert.equal(typeof line.ttft_ms, 'number');
    assert.equal(typeof line.tok_s, 'number');
  });

  it('--prompt without a tokenizer is a usage error', async () => {
    const result = await scratch.hearth(['run', llama, '--prompt', 'hello']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /no tokenizer\.json.*give --ids/);
  });

  it('needs exactly one of --prompt and --ids', async () => {
    const result = await scratch.hearth(['run', llama]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /either --prompt TEXT or --ids CSV/);
  });
});

describe('hearth run on shakespeare-5m', { skip: fixturesMissing(SHAKESPEARE_DIR) }, () => {
  it('encodes --prompt with the tokenizer and streams the greedy continuation', async () => {
    const expected = JSON.parse(await readFile(join(SHAKESPEARE_DIR, 'reference.json'), 'utf8')).greedy['ROMEO:'] as { ids: number[]; text: string };
    const json = await scratch.hearth(['run', SHAKESPEARE_DIR, '--prompt', 'ROMEO:', '--max-new-tokens', '48', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const line = JSON.parse(lastLine(json.stdout));
    assert.deepEqual(line.ids, expected.ids);
    assert.equal(line.text, expected.text);

    const streamed = await scratch.hearth(['run', SHAKESPEARE_DIR, '--prompt', 'ROMEO:', '--max-new-tokens', '48']);
    assert.equal(streamed.code, 0, streamed.stderr);
    assert.equal(streamed.stdout, expected.text + '\n');
    assert.match(streamed.stderr, /48 tokens · [\d.]+ tok\/s · TTFT \d+ ms · prompt 2 tokens · stopped: max-tokens/);
  });

  it('stops at a --stop string and leaves it out', async () => {
    const result = await scratch.hearth(['run', SHAKESPEARE_DIR, '--prompt', 'ROMEO:', '--max-new-tokens', '48', '--stop', 'cheek', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(lastLine(result.stdout)).text, "\nI'll be a ");
  });

  it('samples reproducibly with a --seed', async () => {
    const args = ['run', SHAKESPEARE_DIR, '--prompt', 'KING', '--max-new-tokens', '16', '--temperature', '1', '--seed', '7', '--json'];
    const [a, b] = [await scratch.hearth(args), await scratch.hearth(args)];
    assert.equal(a.code, 0, a.stderr);
    assert.deepEqual(JSON.parse(lastLine(a.stdout)).ids, JSON.parse(lastLine(b.stdout)).ids);
  });
});
