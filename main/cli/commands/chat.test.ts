// `hearth chat` driven through a pipe: one answer per line, KV reuse on the second turn,
// /reset, and the overflow notice.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SHAKESPEARE_DIR, fixturesMissing } from '../../engine/runtime/test/reference-fixtures.ts';
import { CliScratch } from '../cli-test-support.ts';

const scratch = new CliScratch();
after(() => scratch.cleanup());

/** The status lines printed after each reply, in order. */
function statusLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /^\d+ tokens · /.test(line));
}

describe('hearth chat with piped stdin', { skip: fixturesMissing(SHAKESPEARE_DIR) }, () => {
  it('answers two turns and reuses the first turn\'s cache on the second', async () => {
    const result = await scratch.hearth(['chat', SHAKESPEARE_DIR, '--temperature', '0', '--max-new-tokens', '24'], 'Good morrow\nWhat news?\n');
    assert.equal(result.code, 0, result.stderr);
    const status = statusLines(result.stderr);
    assert.equal(status.length, 2, result.stderr);
    assert.match(status[0], /reused 0 of \d+ prompt tokens/);
    const reused = Number(/reused (\d+) of/.exec(status[1])?.[1]);
    assert.ok(reused > 10, `second turn reused ${reused} tokens: ${status[1]}`);
    assert.ok(result.stdout.trim().length > 0, 'the replies go to stdout');
    assert.doesNotMatch(result.stdout, /<\|im_(start|end)\|>/, 'special tokens are not shown');
  });

  it('/reset starts a new conversation with nothing to reuse', async () => {
    const result = await scratch.hearth(['chat', SHAKESPEARE_DIR, '--temperature', '0', '--max-new-tokens', '8'], 'Hello\n/reset\nHello\n/exit\nnever answered\n');
    assert.equal(result.code, 0, result.stderr);
    const status = statusLines(result.stderr);
    assert.equal(status.length, 2, 'the line after /exit is not answered');
    assert.match(status[1], /reused 0 of/);
    assert.match(result.stderr, /\(conversation cleared\)/);
  });

  it('reports what the overflow policy dropped', async () => {
    const result = await scratch.hearth(
      ['chat', SHAKESPEARE_DIR, '--temperature', '0', '--context', '64', '--max-new-tokens', '20'],
      'Hello\nHi again\nAnd a third\n',
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /dropped \d+ earlier turns? \(\d+ tokens\) to fit the 64-token context/);
  });

  it('with --overflow stop, says the conversation no longer fits and keeps going', async () => {
    const result = await scratch.hearth(
      ['chat', SHAKESPEARE_DIR, '--temperature', '0', '--context', '64', '--max-new-tokens', '20', '--overflow', 'stop'],
      'Hello\nHi again\n/reset\nHello\n',
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /The conversation needs \d+ tokens plus 20 reserved for the reply, but the context holds 64 tokens/);
    assert.equal(statusLines(result.stderr).length, 2, 'answered before the overflow and after /reset');
  });

  it('rejects an unknown overflow policy (exit 2)', async () => {
    const result = await scratch.hearth(['chat', SHAKESPEARE_DIR, '--overflow', 'wrap']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--overflow must be one of stop, truncate-middle, rolling-window/);
  });
});
