// Partial build folders: named after the process writing them; a dead writer's folder is removed,
// a live writer's kept, and this process's own removed only when it says none of its builds runs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { partialBuildDir, removeStalePartialBuilds } from './partial-build-dir.ts';

/** The id of a process that has exited (its parent, this test, has reaped it). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

describe('partial build folders', () => {
  it('names the folder beside its target after this process', () => {
    assert.match(partialBuildDir('/data/models/m/int4-fused'), new RegExp(`^/data/models/m/int4-fused\\.partial-${process.pid}-\\d+$`));
  });

  it("removes a dead writer's folder, keeps a live one's and the targets, and its own only when told", async () => {
    const parent = await mkdtemp(join(tmpdir(), 'hearth-partial-'));
    try {
      const dead = join(parent, `int4-fused.partial-${await deadPid()}-1`);
      const live = join(parent, `int8-fused.partial-${process.ppid}-2`);
      const own = partialBuildDir(join(parent, 'fp16-fused'));
      const target = join(parent, 'int8-fused');
      for (const dir of [dead, live, own, target]) {
        await mkdir(dir);
        await writeFile(join(dir, 'model.onnx.data'), 'half');
      }

      assert.deepEqual(removeStalePartialBuilds(parent, { ownAreStale: false }), [dead]);
      assert.deepEqual((await readdir(parent)).sort(), [basename(target), basename(live), basename(own)].sort());
      assert.deepEqual(removeStalePartialBuilds(parent, { ownAreStale: true }), [own]);
      assert.ok(existsSync(live) && existsSync(target));
      assert.deepEqual(removeStalePartialBuilds(join(parent, 'missing'), { ownAreStale: true }), [], 'a missing folder has none');
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});
