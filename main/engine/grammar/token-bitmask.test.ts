import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyTokenBitmask } from './token-bitmask.ts';

/** A bitmask allowing exactly `ids` in a vocabulary of `size` tokens. */
function bitmaskOf(ids: number[], size: number): Int32Array {
  const mask = new Int32Array(Math.ceil(size / 32));
  for (const id of ids) mask[id >> 5] |= 1 << (id & 31);
  return mask;
}

describe('applyTokenBitmask', () => {
  const size = 70; // two full words and a partial one
  const logits = Float32Array.from({ length: size }, (_, i) => i / 10);

  it('keeps the allowed logits, sets the others to -Infinity, and counts the allowed', () => {
    const allowed = [0, 5, 31, 32, 63, 64, 69];
    const out = new Float32Array(size);
    assert.equal(applyTokenBitmask(logits, bitmaskOf(allowed, size), out), allowed.length);
    for (let id = 0; id < size; id++) assert.equal(out[id], allowed.includes(id) ? logits[id] : -Infinity, `token ${id}`);
    assert.equal(logits[1], Math.fround(0.1), 'the input row is unchanged');
  });

  it('handles words with every bit set (bit 31 is the sign bit) and with none', () => {
    const allowed = Array.from({ length: 32 }, (_, i) => 32 + i);
    const out = new Float32Array(size);
    assert.equal(applyTokenBitmask(logits, bitmaskOf(allowed, size), out), 32);
    assert.deepEqual(Array.from(out.subarray(32, 64)), Array.from(logits.subarray(32, 64)));
    assert.ok(out.subarray(0, 32).every((x) => x === -Infinity));
    assert.ok(out.subarray(64).every((x) => x === -Infinity));
  });

  it('can mask in place, and disallows ids past the end of a short mask', () => {
    const row = logits.slice();
    assert.equal(applyTokenBitmask(row, bitmaskOf([3], 32), row), 1);
    assert.equal(row[3], logits[3]);
    assert.equal(row.filter((x) => x !== -Infinity).length, 1);
  });

  it('refuses an output row of another size', () => {
    assert.throws(() => applyTokenBitmask(logits, bitmaskOf([1], size), new Float32Array(3)), /holds 3 logits/);
  });
});
