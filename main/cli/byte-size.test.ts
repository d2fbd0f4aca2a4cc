import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, parseByteSize } from './byte-size.ts';
import { UsageError } from './command.ts';

describe('parseByteSize', () => {
  it('reads binary and decimal units, fractions and plain bytes', () => {
    assert.equal(parseByteSize('--vram', '8GiB'), 8 * 2 ** 30);
    assert.equal(parseByteSize('--vram', '8GB'), 8e9);
    assert.equal(parseByteSize('--vram', '8 gb'), 8e9);
    assert.equal(parseByteSize('--vram', '512MiB'), 512 * 2 ** 20);
    assert.equal(parseByteSize('--vram', '1.5GiB'), 1.5 * 2 ** 30);
    assert.equal(parseByteSize('--vram', '1073741824'), 2 ** 30);
    assert.equal(parseByteSize('--ram', '2TiB'), 2 * 2 ** 40);
  });

  it('rejects what it cannot read with a UsageError naming the option', () => {
    for (const bad of ['', 'GiB', '8 gigs', '-1GiB', '8XB', '0']) {
      assert.throws(() => parseByteSize('--vram', bad), (error: Error) => error instanceof UsageError && error.message.startsWith('--vram'), bad);
    }
  });
});

describe('formatBytes', () => {
  it('uses the largest binary unit with about three significant digits', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.50 KiB');
    assert.equal(formatBytes(17.9 * 2 ** 20), '17.9 MiB');
    assert.equal(formatBytes(101 * 2 ** 20), '101 MiB');
    assert.equal(formatBytes(8 * 2 ** 30), '8.00 GiB');
  });
});
