import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { JsonStringState } from './json-string-state.ts';

describe('JsonStringState', () => {
  it('follows strings across tokens, escaped quotes and backslashes included', () => {
    const state = new JsonStringState();
    const seen: boolean[] = [];
    for (const piece of ['{"na', 'me":', ' "say \\', '"hi\\\\', '"', ', "x": [1]']) {
      state.push(piece);
      seen.push(state.isInString);
    }
    assert.deepEqual(seen, [true, false, true, true, false, false]);
  });

  it('clones without sharing state', () => {
    const state = new JsonStringState();
    state.push('"abc');
    const copy = state.clone();
    copy.push('"');
    assert.equal(state.isInString, true);
    assert.equal(copy.isInString, false);
  });
});
