// The picker's request is checked before a dialog opens: only a folder or a file, a title, and
// extensions without dots or paths in them; nothing else passes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PickPathRequestSchema, PickPathResultSchema } from './path-picker.ts';

describe('the path picker contract', () => {
  it('accepts a folder or a file request with filters', () => {
    assert.ok(PickPathRequestSchema.safeParse({ kind: 'folder', title: 'Choose a model folder' }).success);
    assert.ok(PickPathRequestSchema.safeParse({ kind: 'file', title: 'Choose a dataset', filters: [{ name: 'JSON Lines', extensions: ['jsonl'] }] }).success);
  });

  it('refuses other kinds, unknown options and extensions that are not bare names', () => {
    for (const bad of [
      { kind: 'disk', title: 'x' },
      { kind: 'folder', title: '' },
      { kind: 'folder', title: 'x', defaultPath: '/etc' },
      { kind: 'file', title: 'x', filters: [{ name: 'any', extensions: ['../../etc/passwd'] }] },
      { kind: 'file', title: 'x', filters: [{ name: 'any', extensions: ['.jsonl'] }] },
      null,
    ]) {
      assert.equal(PickPathRequestSchema.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });

  it('answers a path or null (cancelled), never an empty path', () => {
    assert.ok(PickPathResultSchema.safeParse({ path: null }).success);
    assert.equal(PickPathResultSchema.safeParse({ path: '' }).success, false);
  });
});
