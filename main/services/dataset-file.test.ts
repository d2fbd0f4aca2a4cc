// The dataset a user names by path: refused outside what Hearth reads (relative paths, '..',
// its own data, system and credential folders, other file types, symlinks into those), and
// previewed with its first rows and every bad line by number.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError } from '../common/contracts/api-error.ts';
import { previewDataset, requireTrainableDataset, resolveDatasetFile } from './dataset-file.ts';
import { scratchDir } from './services-test-support.ts';

const GREET = (name: string) => JSON.stringify({ messages: [{ role: 'user', content: `Greet ${name}.` }, { role: 'assistant', content: `Good morrow, ${name}!` }] });

let scratch: { dir: string; remove(): Promise<void> };
let dataDir: string;
let good: string;
before(async () => {
  scratch = await scratchDir('hearth-dataset-');
  dataDir = join(scratch.dir, 'data');
  await mkdir(join(dataDir, 'jobs'), { recursive: true });
  good = join(scratch.dir, 'greet.jsonl');
  await writeFile(good, ['Romeo', 'Juliet', 'Hamlet', 'Ophelia', 'Puck', 'Lear'].map(GREET).join('\n') + '\n');
});
after(() => scratch.remove());

async function refusal(path: string): Promise<string> {
  try {
    await resolveDatasetFile(path, dataDir);
  } catch (error) {
    assert.ok(error instanceof ApiError, String(error));
    assert.equal(error.code, 'invalid-input');
    return error.message;
  }
  assert.fail(`${path} was accepted`);
}

describe('resolveDatasetFile', () => {
  it('accepts an absolute .jsonl file and gives its real path', async () => {
    const link = join(scratch.dir, 'link.jsonl');
    await symlink(good, link);
    assert.equal(await resolveDatasetFile(link, dataDir), good);
  });

  it('refuses relative paths, .. segments, missing files and folders, naming what to do', async () => {
    assert.match(await refusal('greet.jsonl'), /not an absolute path/);
    assert.match(await refusal(`${scratch.dir}/x/../greet.jsonl`), /contains '\.\.'/);
    assert.match(await refusal(join(scratch.dir, 'missing.jsonl')), /does not exist/);
    const folder = join(scratch.dir, 'folder.jsonl');
    await mkdir(folder);
    assert.match(await refusal(folder), /not a regular file/);
  });

  it("refuses other file types, Hearth's own data, system and credential folders, also through a symlink", async () => {
    const text = join(scratch.dir, 'notes.txt');
    await writeFile(text, GREET('Puck'));
    assert.match(await refusal(text), /not a \.jsonl file/);
    const own = join(dataDir, 'jobs', 'copied.jsonl');
    await writeFile(own, GREET('Puck'));
    assert.match(await refusal(own), /inside .*data/);
    const ssh = join(scratch.dir, 'home', '.ssh');
    await mkdir(ssh, { recursive: true });
    await writeFile(join(ssh, 'keys.jsonl'), GREET('Puck'));
    assert.match(await refusal(join(ssh, 'keys.jsonl')), /inside \.ssh/);
    const disguised = join(scratch.dir, 'innocent.jsonl');
    await symlink(join(ssh, 'keys.jsonl'), disguised);
    assert.match(await refusal(disguised), /inside \.ssh/, 'the symlink is followed before the check');
    if (process.platform !== 'win32') {
      const passwd = join(scratch.dir, 'passwd.jsonl');
      await symlink('/etc/passwd', passwd);
      assert.match(await refusal(passwd), /inside \/etc/);
    }
  });
});

describe('previewDataset', () => {
  it('shows the first rows of each shape and the counts', async () => {
    const preview = await previewDataset(good, dataDir);
    assert.equal(preview.ok, true);
    assert.equal(preview.rows, 6);
    assert.deepEqual(preview.counts, { chat: 6, alpaca: 0, text: 0 });
    assert.equal(preview.firstRows.length, 5);
    assert.deepEqual(preview.firstRows[0], { line: 1, kind: 'chat', text: 'user: Greet Romeo. · assistant: Good morrow, Romeo!' });
  });

  it('lists every bad line with its number, and a job refuses the file', async () => {
    const mixed = join(scratch.dir, 'mixed.jsonl');
    await writeFile(
      mixed,
      [GREET('Romeo'), '{"messages": [{"role": "user"}]}', '', 'not json', JSON.stringify({ instruction: 'Say hi', output: 'Hi' }), JSON.stringify({ prompt: 'x' })].join('\n'),
    );
    const preview = await previewDataset(mixed, dataDir);
    assert.equal(preview.ok, false);
    assert.deepEqual(preview.counts, { chat: 1, alpaca: 1, text: 0 });
    assert.deepEqual(preview.problems.map((p) => p.line), [2, 4, 6], 'blank line 3 is allowed');
    assert.equal(preview.problemCount, 3);
    assert.match(preview.problems[0].message, /content/);
    await assert.rejects(requireTrainableDataset(mixed, dataDir, 'training data'), (error: ApiError) => {
      assert.equal(error.code, 'invalid-input');
      assert.match(error.message, /3 bad line\(s\).*line 2: .*line 4: .*line 6: /);
      return true;
    });
  });

  it('refuses an empty file for training', async () => {
    const empty = join(scratch.dir, 'empty.jsonl');
    await writeFile(empty, '\n\n');
    const preview = await previewDataset(empty, dataDir);
    assert.deepEqual([preview.ok, preview.rows, preview.problemCount], [false, 0, 0]);
    await assert.rejects(requireTrainableDataset(empty, dataDir, 'evaluation data'), /evaluation data .* holds no examples/);
  });
});
