import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from './command.ts';
import { checkIdsInVocabulary, parseIdList, parseIntegerOption, parseNumberOption, parsePrecisionOption } from './option-values.ts';

const usage = (pattern: RegExp) => (error: Error) => error instanceof UsageError && pattern.test(error.message);

describe('option values', () => {
  it('reads id lists, with spaces, and rejects anything that is not a token id', () => {
    assert.deepEqual(parseIdList('--ids', '5,17, 42'), [5, 17, 42]);
    assert.throws(() => parseIdList('--ids', '5,x'), usage(/item 2 \('x'\)/));
    assert.throws(() => parseIdList('--ids', '5,-1'), usage(/item 2/));
    assert.throws(() => parseIdList('--ids', '1.5'), usage(/item 1/));
    assert.throws(() => parseIdList('--ids', '5,,6'), usage(/item 2/));
    assert.throws(() => parseIdList('--ids', ''), usage(/comma-separated/));
    assert.throws(() => checkIdsInVocabulary('--ids', [1, 600], 512), usage(/600 .* 512/));
  });

  it('reads numbers within bounds', () => {
    assert.equal(parseNumberOption('--temperature', '0.7', { min: 0 }), 0.7);
    assert.throws(() => parseNumberOption('--temperature', 'hot'), usage(/needs a number/));
    assert.throws(() => parseNumberOption('--temperature', '-1', { min: 0 }), usage(/at least 0/));
    assert.equal(parseIntegerOption('--top-k', '40'), 40);
    assert.throws(() => parseIntegerOption('--top-k', '4.5'), usage(/whole number/));
    assert.throws(() => parseIntegerOption('--prefill', '9', { max: 8 }), usage(/at most 8/));
  });

  it('reads --dtype', () => {
    assert.equal(parsePrecisionOption(undefined), undefined);
    assert.equal(parsePrecisionOption('int4'), 'int4');
    assert.throws(() => parsePrecisionOption('int3'), usage(/fp32, fp16, int8, int4/));
  });
});
