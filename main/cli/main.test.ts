// The `hearth` command's handling of mistakes: usage errors exit 2 with the usage, bad model
// folders exit 1 with a message that names the folder.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSafetensors } from '../engine/checkpoint/safetensors-writer.ts';
import { HF_TINY_DIR, fixturesMissing } from '../engine/runtime/test/reference-fixtures.ts';
import { CliScratch } from './cli-test-support.ts';

const scratch = new CliScratch();
after(() => scratch.cleanup());
const LLAMA = join(HF_TINY_DIR, 'llama');

describe('hearth', () => {
  it('lists the commands with --help (exit 0) and without arguments (exit 2)', async () => {
    const help = await scratch.hearth(['--help']);
    assert.equal(help.code, 0);
    for (const name of ['build', 'logits', 'run', 'chat', 'ppl', 'plan']) assert.match(help.stdout, new RegExp(`^  ${name} `, 'm'));
    assert.equal((await scratch.hearth([])).code, 2);
  });

  it('prints a command\'s usage with --help', async () => {
    const result = await scratch.hearth(['run', '--help']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^hearth run DIR \(--prompt TEXT \| --ids CSV\)/);
    assert.match(result.stdout, /Greedy by default/);
  });

  it('rejects an unknown command and an unknown flag with exit 2', async () => {
    const command = await scratch.hearth(['frobnicate']);
    assert.equal(command.code, 2);
    assert.match(command.stderr, /unknown command 'frobnicate'/);
    const flag = await scratch.hearth(['run', LLAMA, '--ids', '1', '--bogus']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /Unknown option '--bogus'/);
    assert.match(flag.stderr, /usage: hearth run DIR/);
  });

  it('rejects --ids with a non-number (exit 2)', async () => {
    const result = await scratch.hearth(['run', LLAMA, '--ids', '1,two,3']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--ids: item 2 \('two'\) is not a token id/);
  });

  it('names a missing model folder (exit 1)', async () => {
    const tokens = join(await scratch.dir(), 'tokens.safetensors');
    await writeSafetensors(tokens, { ids: { dtype: 'I64', shape: [3], data: BigInt64Array.from([1n, 2n, 3n]) } });
    for (const command of [['run', '--ids', '1'], ['logits', '--ids', '1', '--out', 'x.safetensors'], ['chat'], ['ppl', '--tokens', tokens, '--tensor', 'ids', '--window', '2'], ['plan']]) {
      const [name, ...rest] = command;
      const result = await scratch.hearth([name, '/no/such/model', ...rest]);
      assert.equal(result.code, 1, `${name}: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`^hearth ${name}: /no/such/model does not exist`, 'm'));
    }
  });

  it('names a corrupt hearth.json and says to rebuild (exit 1)', async () => {
    const dir = join(await scratch.dir(), 'corrupt');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'hearth.json'), '{"format": 1, "spec": ');
    const result = await scratch.hearth(['run', dir, '--ids', '1,2']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /hearth\.json is corrupt \(not valid JSON.*Rebuild the model/);
  });

  it('names a folder that is no model at all (exit 1)', { skip: fixturesMissing(HF_TINY_DIR) }, async () => {
    const result = await scratch.hearth(['run', HF_TINY_DIR, '--ids', '1']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /neither a built model \(no hearth\.json\) nor a Hugging Face model folder/);
  });
});
