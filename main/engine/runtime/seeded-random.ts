// A seeded pseudo-random generator, so that sampling with a seed repeats exactly (tests,
// reproducible chats). xoshiro128** (Blackman & Vigna): 128 bits of state, 32-bit outputs,
// only 32-bit integer operations, which JavaScript does fast; the state is filled from the
// seed by splitmix32 so that nearby seeds give unrelated sequences.

/** A source of uniform numbers in [0, 1). Math.random fits as `{ next: Math.random }`. */
export interface RandomSource {
  next(): number;
}

const TWO_POW_32 = 4294967296;

function splitmix32(state: number): [next: number, output: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [next, (z ^ (z >>> 16)) >>> 0];
}

export class SeededRandom implements RandomSource {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** Any finite number is a seed; integers beyond 32 bits keep their high bits. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`A random seed must be a finite number, got ${seed}.`);
    const low = seed >>> 0;
    const high = Math.floor(Math.abs(seed) / TWO_POW_32) >>> 0;
    let state = low ^ Math.imul(high, 0x27d4eb2d);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, output] = splitmix32(state);
      state = next;
      words.push(output);
    }
    [this.s0, this.s1, this.s2, this.s3] = words;
    // The all-zero state would repeat zeros forever; splitmix32 makes it practically impossible, but not provably.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The raw generator state, to save a generator and resume it later with fromState. */
  getState(): [number, number, number, number] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  static fromState(state: readonly [number, number, number, number]): SeededRandom {
    if (state.every((word) => word >>> 0 === 0)) throw new RangeError('The all-zero xoshiro128** state is not allowed.');
    const random = new SeededRandom(0);
    [random.s0, random.s1, random.s2, random.s3] = state.map((word) => word | 0);
    return random;
  }

  /** The next unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotateLeft(this.s3, 11);
    return result;
  }

  /** A uniform number in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }
}

function rotateLeft(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
