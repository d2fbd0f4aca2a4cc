// `hearth ppl` against PyTorch's mean NLL on shakespeare-5m's held-out tokens, and a clear
// error when the token tensor is too short for the windows asked for.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSafetensors } from '../../engine/checkpoint/safetensors-writer.ts';
import { SHAKESPEARE_DIR, fixturesMissing } from '../../engine/runtime/test/reference-fixtures.ts';
import { CliScratch, lastLine } from '../cli-test-support.ts';

const scratch = new CliScratch();
after(() => scratch.cleanup());
const EVAL_TOKENS = join(SHAKESPEARE_DIR, 'eval_tokens.safetensors');

describe('hearth ppl', { skip: fixturesMissing(SHAKESPEARE_DIR) }, () => {
  it('32 windows of 256 give the reference mean NLL within 5e-4; the last line is nll=… ppl=…', async () => {
    const reference = JSON.parse(await readFile(join(SHAKESPEARE_DIR, 'reference.json'), 'utf8')) as { mean_nll: number };
    const result = await scratch.hearth(['ppl', SHAKESPEARE_DIR, '--tokens', EVAL_TOKENS, '--tensor', 'val_ids', '--window', '256', '--windows', '32']);
    assert.equal(result.code, 0, result.stderr);
    const match = /^nll=(\d+\.\d+) ppl=(\d+\.\d+)$/.exec(lastLine(result.stdout));
    assert.ok(match, `last line: ${lastLine(result.stdout)}`);
    const nll = Number(match[1]);
    assert.ok(Math.abs(nll - reference.mean_nll) < 5e-4, `nll ${nll} vs ${reference.mean_nll}`);
    assert.ok(Math.abs(Number(match[2]) - Math.exp(nll)) < 1e-3);
  });

  it('fails clearly when the tensor is too short for the windows', async () => {
    const tooLong = await scratch.hearth(['ppl', SHAKESPEARE_DIR, '--tokens', EVAL_TOKENS, '--tensor', 'val_ids', '--window', '256', '--windows', '33']);
    assert.equal(tooLong.code, 1);
    assert.match(tooLong.stderr, /holds 8193 ids, but 33 window\(s\) of 256 need 8449/);

    const short = join(await scratch.dir(), 'short.safetensors');
    await writeSafetensors(short, { ids: { dtype: 'I64', shape: [10], data: BigInt64Array.from([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n]) } });
    const result = await scratch.hearth(['ppl', SHAKESPEARE_DIR, '--tokens', short, '--tensor', 'ids', '--window', '256']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /holds 10 ids, but 1 window\(s\) of 256 need 257/);
  });

  it('names a tensor that is not in the file or not integer', async () => {
    const missing = await scratch.hearth(['ppl', SHAKESPEARE_DIR, '--tokens', EVAL_TOKENS, '--tensor', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /has no tensor "nope"/);
    const floats = join(await scratch.dir(), 'floats.safetensors');
    await writeSafetensors(floats, { x: { dtype: 'F32', shape: [3], data: new Float32Array(3) } });
    const notIds = await scratch.hearth(['ppl', SHAKESPEARE_DIR, '--tokens', floats, '--tensor', 'x']);
    assert.equal(notIds.code, 1);
    assert.match(notIds.stderr, /tensor "x" is F32; token ids must be an integer tensor/);
  });
});
