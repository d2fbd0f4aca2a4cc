// ALiBi slopes, one per head, exactly as transformers computes them. BLOOM and MPT differ when the
// head count is not a power of two, so each has its own function. Both are computed in float32 by
// PyTorch; Math.fround keeps the same values here.

/** transformers' bloom build_alibi_tensor: geometric slopes for the closest power of two below, then every other slope of the next one. */
export function bloomAlibiSlopes(numHeads: number): number[] {
  const closestPowerOf2 = 2 ** Math.floor(Math.log2(numHeads));
  const base = Math.fround(2 ** -(2 ** -(Math.log2(closestPowerOf2) - 3)));
  const slopes: number[] = [];
  for (let p = 1; p <= closestPowerOf2; p++) slopes.push(Math.fround(base ** p));
  if (closestPowerOf2 !== numHeads) {
    const extraBase = Math.fround(2 ** -(2 ** -(Math.log2(2 * closestPowerOf2) - 3)));
    const remaining = Math.min(closestPowerOf2, numHeads - closestPowerOf2);
    for (let p = 1; p < 1 + 2 * remaining; p += 2) slopes.push(Math.fround(extraBase ** p));
  }
  return slopes;
}

/** transformers' build_mpt_alibi_tensor: slopes 2^-(k·max/P) for the next power of two P, odd ones first when trimming. */
export function mptAlibiSlopes(numHeads: number, alibiBiasMax: number): number[] {
  const powerOf2 = 2 ** Math.ceil(Math.log2(numHeads));
  const all: number[] = [];
  for (let k = 1; k <= powerOf2; k++) {
    const exponent = Math.fround(k * Math.fround(alibiBiasMax / powerOf2));
    all.push(Math.fround(1 / Math.fround(2 ** exponent)));
  }
  if (powerOf2 === numHeads) return all;
  const odd = all.filter((_, i) => i % 2 === 1);
  const even = all.filter((_, i) => i % 2 === 0);
  return [...odd, ...even].slice(0, numHeads);
}
