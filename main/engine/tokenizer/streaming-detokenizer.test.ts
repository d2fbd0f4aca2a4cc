import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTokenizer } from './load-tokenizer.ts';
import { StreamingDetokenizer } from './streaming-detokenizer.ts';

const fixtureDir = fileURLToPath(new URL('../../../../shared/fixtures/shakespeare-5m/', import.meta.url));
const skip = existsSync(join(fixtureDir, 'tokenizer.json')) ? false : `reference fixtures not found at ${fixtureDir}`;

const TEXT = 'Fair 🙂 morrow, 日本語 and naïve Ünïcödé 🚀🎉 — done.\n  Twice 👨‍👩‍👧 over';

test('streaming over emoji and CJK never emits a broken character and adds up to decode(all)', { skip }, async () => {
  const tokenizer = await loadTokenizer(fixtureDir);
  const ids = tokenizer.encode(TEXT);
  const detokenizer = new StreamingDetokenizer(tokenizer);
  const pieces = ids.map((id) => detokenizer.push(id));
  pieces.push(detokenizer.flush());
  for (const piece of pieces) assert.ok(!piece.includes('\uFFFD'), `piece ${JSON.stringify(piece)} holds U+FFFD`);
  assert.equal(pieces.join(''), tokenizer.decode(ids));
  assert.equal(pieces.join(''), TEXT);
  // Multi-token characters were held back, not emitted piecemeal.
  assert.ok(pieces.slice(0, -1).some((p) => p === ''));
  assert.ok(pieces.filter((p) => p !== '').length > 10, 'text should stream, not arrive all at once');
});

test('special tokens are skipped by default and kept on request', { skip }, async () => {
  const tokenizer = await loadTokenizer(fixtureDir);
  const ids = [...tokenizer.encode('Good morrow 🙂'), tokenizer.eosTokenId ?? -1];
  const skipping = new StreamingDetokenizer(tokenizer);
  assert.equal(skipping.pushAll(ids) + skipping.flush(), 'Good morrow 🙂');
  const keeping = new StreamingDetokenizer(tokenizer, { skipSpecialTokens: false });
  assert.equal(keeping.pushAll(ids) + keeping.flush(), 'Good morrow 🙂<|im_end|>');
  assert.deepEqual(keeping.tokenIds, ids);
});

test('flush returns an unfinished character at the end', { skip }, async () => {
  const tokenizer = await loadTokenizer(fixtureDir);
  const ids = tokenizer.encode('ok 🙂');
  const detokenizer = new StreamingDetokenizer(tokenizer);
  const partial = detokenizer.pushAll(ids.slice(0, -1));
  assert.ok(!partial.includes('\uFFFD'));
  assert.equal(partial, 'ok ');
  assert.ok(detokenizer.flush().includes('\uFFFD'));
});
