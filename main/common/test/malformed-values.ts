// Malformed values for the fuzz tests of Hearth's boundaries (the web shell's API, the workers'
// message protocols). Given a seeded source of random numbers and a valid example of a message,
// `malformed` breaks it in one of the ways a buggy or hostile sender could: a field dropped,
// retyped, pushed out of range or made huge, unknown or prototype-named fields added, the whole
// value replaced by something of another type, deeply nested. Pure (no Node): each test brings
// its own seeded generator, so a failure repeats from the seed it prints.

/** Uniform numbers in [0, 1); the engine's SeededRandom fits. */
export interface RandomSource {
  next(): number;
}

export function randomInt(random: RandomSource, below: number): number {
  return Math.floor(random.next() * below);
}

export function pickOne<T>(random: RandomSource, items: readonly T[]): T {
  return items[randomInt(random, items.length)];
}

/** Strings that have broken parsers and path checks elsewhere. */
const AWKWARD_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\ud800', // a lone surrogate: not encodable as UTF-8
  '__proto__',
  'constructor',
  'toString',
  '../../../../etc/passwd',
  '/dev/zero',
  '%00%2e%2e',
  'C:\\Windows\\System32',
  '\u202e\u0301🔥',
  '<script>alert(1)</script>',
  "'; DROP TABLE conversations; --",
  '{"nested":"json"}',
  '1e309',
];

const AWKWARD_NUMBERS = [0, -0, -1, 1.5, -1e-300, 1e308, Number.MAX_SAFE_INTEGER + 2, -Number.MAX_SAFE_INTEGER, 2 ** 31, 2 ** 53, Number.NaN, Infinity, -Infinity];

/** A value of any JSON type (plus what JSON turns into null: NaN, Infinity), nested up to `depth`. */
export function anyValue(random: RandomSource, depth = 2): unknown {
  switch (randomInt(random, depth > 0 ? 9 : 6)) {
    case 0:
      return null;
    case 1:
      return random.next() < 0.5;
    case 2:
      return pickOne(random, AWKWARD_NUMBERS);
    case 3:
      return pickOne(random, AWKWARD_STRINGS);
    case 4:
      return 'x'.repeat(pickOne(random, [1, 200, 5_000, 100_001]));
    case 5:
      return undefined;
    case 6:
      return Array.from({ length: randomInt(random, 4) }, () => anyValue(random, depth - 1));
    case 7:
      return withPrototypeKeys(random, Object.fromEntries(Array.from({ length: randomInt(random, 4) }, () => [pickOne(random, ['type', 'requestId', 'id', 'a', '']), anyValue(random, depth - 1)])));
    default:
      return deeplyNested(pickOne(random, [50, 500, 2_000]));
  }
}

/** `[[[...]]]`, `depth` levels: recursion in a validator or a serializer must not overflow on it. */
export function deeplyNested(depth: number): unknown {
  let value: unknown = {};
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

/** Adds own `__proto__` / `constructor` keys, as JSON.parse creates them (assignment would set the prototype instead). */
function withPrototypeKeys(random: RandomSource, object: Record<string, unknown>): Record<string, unknown> {
  if (random.next() < 0.3) Object.defineProperty(object, '__proto__', { value: { polluted: true }, enumerable: true, configurable: true, writable: true });
  if (random.next() < 0.2) object['constructor'] = { prototype: { polluted: true } };
  return object;
}

/** A value just outside what a field of this example's kind accepts. */
function wrongFor(random: RandomSource, valid: unknown): unknown {
  if (typeof valid === 'number') return pickOne(random, [...AWKWARD_NUMBERS, String(valid), null]);
  if (typeof valid === 'string') return pickOne(random, [...AWKWARD_STRINGS, 'x'.repeat(1_000_001), 42, null, [valid]]);
  if (typeof valid === 'boolean') return pickOne(random, ['true', 1, null]);
  if (Array.isArray(valid)) return pickOne(random, [[], valid.concat(valid, valid), [anyValue(random)], {}, 'array']);
  return anyValue(random);
}

/**
 * The example broken in one random way. Most breakings keep it an object with the example's
 * shape, so that they reach the checks behind the first (the type field, the ids).
 */
export function malformed(random: RandomSource, example: unknown): unknown {
  if (example === null || typeof example !== 'object' || Array.isArray(example)) return wrongFor(random, example);
  const copy: Record<string, unknown> = { ...(example as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const key = keys.length ? pickOne(random, keys) : 'type';
  switch (randomInt(random, 8)) {
    case 0:
      delete copy[key];
      return copy;
    case 1:
      copy[key] = wrongFor(random, copy[key]);
      return copy;
    case 2:
      copy[key] = anyValue(random);
      return copy;
    case 3:
      // A nested object (params, config, stats) broken inside.
      copy[key] = copy[key] !== null && typeof copy[key] === 'object' ? malformed(random, copy[key]) : wrongFor(random, copy[key]);
      return copy;
    case 4:
      return withPrototypeKeys(random, { ...copy, [pickOne(random, ['extra', 'type', 'requestId'])]: anyValue(random) });
    case 5:
      return pickOne(random, [null, [], [copy], 'message', 7, true]);
    case 6:
      for (const name of keys) if (random.next() < 0.5) copy[name] = wrongFor(random, copy[name]);
      return copy;
    default:
      return anyValue(random);
  }
}
