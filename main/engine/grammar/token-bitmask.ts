// xgrammar's allowed-token bitmask applied to a row of logits: bit (id % 32) of word (id >> 5)
// is set when token `id` may come next. Disallowed tokens get -Infinity, so every sampler
// setting (greedy, top-k, top-p, min-p, penalties) gives them zero probability.

/**
 * Writes `logits` with the disallowed tokens at -Infinity into `out` (which may be `logits`
 * itself), and returns how many tokens are allowed. Ids past the mask's end are disallowed.
 */
export function applyTokenBitmask(logits: Float32Array, bitmask: Int32Array, out: Float32Array): number {
  if (out.length !== logits.length) throw new RangeError(`The output row holds ${out.length} logits, the input ${logits.length}.`);
  let allowed = 0;
  const fullWords = Math.min(bitmask.length, logits.length >> 5);
  for (let word = 0; word < fullWords; word++) {
    const bits = bitmask[word];
    const base = word << 5;
    if (bits === -1) {
      // All 32 allowed: the common case inside strings, a plain copy.
      if (out !== logits) out.set(logits.subarray(base, base + 32), base);
      allowed += 32;
    } else if (bits === 0) {
      out.fill(-Infinity, base, base + 32);
    } else {
      for (let bit = 0; bit < 32; bit++) {
        if ((bits >>> bit) & 1) {
          out[base + bit] = logits[base + bit];
          allowed++;
        } else {
          out[base + bit] = -Infinity;
        }
      }
    }
  }
  for (let id = fullWords << 5; id < logits.length; id++) {
    const word = id >> 5;
    if (word < bitmask.length && (bitmask[word] >>> (id & 31)) & 1) {
      out[id] = logits[id];
      allowed++;
    } else {
      out[id] = -Infinity;
    }
  }
  return allowed;
}
