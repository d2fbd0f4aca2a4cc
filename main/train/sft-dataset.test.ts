import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadTokenizer } from '../engine/tokenizer/load-tokenizer.ts';
import { IGNORE_INDEX } from './causal-lm-loss.ts';
import { FIXTURES_MISSING, LORA_FIXTURES, readGradReference, SHAKESPEARE_DIR } from './test/reference-batch.ts';
import { DatasetError, readSftDataset, validateSftJsonl } from './sft-dataset.ts';
import { tokenizeDataset, tokenizeSftRow } from './sft-examples.ts';

describe('SFT dataset validation', () => {
  it('accepts chat, Alpaca and text rows, and ignores blank lines', () => {
    const text = [
      '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}',
      '',
      '{"instruction": "Add", "input": "1 2", "output": "3"}',
      '{"instruction": "Say hi", "output": "hi"}',
      '{"text": "Once upon a time"}',
    ].join('\n');
    const result = validateSftJsonl(text);
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.counts, { chat: 1, alpaca: 2, text: 1 });
    assert.deepEqual(result.rows.map((r) => r.line), [1, 3, 4, 5]);
  });

  it('reports every bad line with its number and what is wrong', () => {
    const text = [
      '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}',
      '{"messages": [{"role": "user", "content": "no answer"}]}',
      'not json',
      '{"instruction": "x"}',
      '{"messages": [{"role": "robot", "content": "beep"}]}',
      '{"prompt": "a", "completion": "b"}',
      '[1, 2]',
      '{"text": ""}',
    ].join('\n');
    const { problems, rows } = validateSftJsonl(text);
    assert.equal(rows.length, 1);
    assert.deepEqual(problems.map((p) => p.line), [2, 3, 4, 5, 6, 7, 8]);
    assert.match(problems[0].message, /no assistant message/);
    assert.match(problems[1].message, /not valid JSON/);
    assert.match(problems[2].message, /output/);
    assert.match(problems[3].message, /roles must be/);
    assert.match(problems[4].message, /unknown example shape with keys prompt, completion/);
    assert.match(problems[5].message, /JSON object/);
  });

  it('refuses a file with bad lines as a whole, naming file and line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hearth-sft-'));
    try {
      const path = join(dir, 'data.jsonl');
      await writeFile(path, '{"text": "fine"}\n{"text": 3}\n');
      await assert.rejects(readSftDataset(path), (error: DatasetError) => error instanceof DatasetError && error.message.includes(`${path}:2:`) && error.problems.length === 1);
      await writeFile(path, '\n\n');
      await assert.rejects(readSftDataset(path), /holds no examples/);
      await assert.rejects(readSftDataset(join(dir, 'missing.jsonl')), /does not exist/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('SFT tokenization through the chat template', { skip: FIXTURES_MISSING }, () => {
  it('renders greet rows exactly as the PEFT reference batch: ChatML, answer scored with <|im_end|>\\n', async () => {
    const tokenizer = await loadTokenizer(SHAKESPEARE_DIR);
    const rows = await readSftDataset(join(LORA_FIXTURES, 'greet_train.jsonl'));
    const { examples } = tokenizeDataset(tokenizer, rows.slice(0, 2), { maxLength: 512 });
    const { batch } = await readGradReference();
    for (let r = 0; r < 2; r++) {
      const ids = Array.from(batch.inputIds.slice(r * batch.length, (r + 1) * batch.length), Number);
      const labels = Array.from(batch.labels.slice(r * batch.length, (r + 1) * batch.length), Number);
      assert.deepEqual(examples[r].ids, ids);
      assert.deepEqual(examples[r].labels, labels);
    }
  });

  it('scores every assistant turn (or only the last for evaluation), truncates and counts', async () => {
    const tokenizer = await loadTokenizer(SHAKESPEARE_DIR);
    const row = {
      line: 7,
      row: {
        kind: 'chat' as const,
        messages: [
          { role: 'user', content: 'A' },
          { role: 'assistant', content: 'B' },
          { role: 'user', content: 'C' },
          { role: 'assistant', content: 'D' },
        ],
      },
    };
    const all = tokenizeSftRow(tokenizer, row, { maxLength: 512 });
    const last = tokenizeSftRow(tokenizer, row, { maxLength: 512, lastTurnOnly: true });
    assert.deepEqual(all.ids, last.ids);
    const scoredText = (labels: number[]) => tokenizer.decode(labels.filter((l) => l !== IGNORE_INDEX));
    assert.equal(scoredText(all.labels), 'B<|im_end|>\nD<|im_end|>\n');
    assert.equal(scoredText(last.labels), 'D<|im_end|>\n');
    const cut = tokenizeSftRow(tokenizer, row, { maxLength: 10 });
    assert.equal(cut.ids.length, 10);
    assert.equal(cut.truncated, true);
    const dataset = tokenizeDataset(tokenizer, [row, { line: 9, row: { kind: 'text', text: 'To be' } }], { maxLength: 3 });
    assert.equal(dataset.truncated, 1);
    assert.deepEqual(dataset.unscored, [7], 'an example whose answers were cut away is left out and reported');
  });
});
