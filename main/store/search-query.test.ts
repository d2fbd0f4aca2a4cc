import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ftsMatchExpression } from './search-query.ts';

test('each word becomes a quoted prefix term, with quotes doubled', () => {
  assert.equal(ftsMatchExpression('shall I'), '"shall"* "I"*');
  assert.equal(ftsMatchExpression('  say "hi"  '), '"say"* """hi"""*');
  assert.equal(ftsMatchExpression('title:x OR y'), '"title:x"* "OR"* "y"*');
});

test('text without a letter or digit searches for nothing', () => {
  assert.equal(ftsMatchExpression(''), null);
  assert.equal(ftsMatchExpression(' -- !! '), null);
  assert.equal(ftsMatchExpression('-- été'), '"été"*');
});
