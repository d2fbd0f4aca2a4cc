// Cutting a streaming reply into finished Markdown blocks: nothing is lost, a block once finished
// never changes as the reply grows (so its memoized render stays right), and the cases where a
// later line changes an earlier block (fences, loose lists, indented continuations, reference
// definitions) are not cut.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { splitFinishedBlocks } from './markdown-blocks.ts';

const REPLY = [
  '# Heading',
  '',
  'A paragraph with **bold** and `code`,',
  'over two lines.',
  '',
  '```ts',
  'const a = 1;',
  '',
  'const b = 2;',
  '```',
  '',
  '- one',
  '- two',
  '',
  '- three, the same loose list',
  '',
  '1. first',
  '',
  '   continued inside the item',
  '',
  '| a | b |',
  '|---|---|',
  '| 1 | 2 |',
  '',
  '> quoted',
  '',
  '~~~~',
  '```',
  '',
  'still code',
  '~~~~',
  '',
  'The end.',
  '',
].join('\n');

describe('splitFinishedBlocks', () => {
  it('cuts between blocks and loses nothing', () => {
    const { finished, tail } = splitFinishedBlocks(REPLY);
    assert.equal(finished.join('') + tail, REPLY);
    assert.deepEqual(
      finished.map((b) => b.trim().split('\n')[0]),
      ['# Heading', 'A paragraph with **bold** and `code`,', '```ts', '- one', '| a | b |', '> quoted', '~~~~'],
    );
    assert.equal(tail, 'The end.\n');
    assert.equal(splitFinishedBlocks('Para.\n\nThe e').tail, 'Para.\n\nThe e', 'a block is cut only once the next line is whole (it may yet turn out a list item or a fence)');
  });

  it('keeps a fence with blank lines whole, a longer fence closed only by its own marker', () => {
    const { finished } = splitFinishedBlocks(REPLY);
    assert.ok(finished.includes('```ts\nconst a = 1;\n\nconst b = 2;\n```\n\n'));
    assert.ok(finished.includes('~~~~\n```\n\nstill code\n~~~~\n\n'));
  });

  it('keeps a loose list and an item continued after a blank line in one block', () => {
    const { finished } = splitFinishedBlocks(REPLY);
    assert.ok(finished.includes('- one\n- two\n\n- three, the same loose list\n\n1. first\n\n   continued inside the item\n\n'));
  });

  it('never changes a finished block as the reply grows, token by token', () => {
    let before: string[] = [];
    for (let end = 0; end <= REPLY.length; end++) {
      const prefix = REPLY.slice(0, end);
      const { finished, tail } = splitFinishedBlocks(prefix);
      assert.equal(finished.join('') + tail, prefix);
      assert.deepEqual(finished.slice(0, before.length), before, `a finished block changed at ${end} characters`);
      before = finished;
    }
  });

  it('does not cut a text with reference definitions or footnotes', () => {
    for (const text of ['See [the docs][d].\n\nMore.\n\n[d]: https://example.com\n', 'A claim[^1].\n\nMore.\n\n[^1]: The source.\n']) {
      assert.deepEqual(splitFinishedBlocks(text), { finished: [], tail: text });
    }
  });
});
