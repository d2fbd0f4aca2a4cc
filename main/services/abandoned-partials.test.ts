// What a killed Hearth left half-written in its data folder is removed at the next start, at
// every depth the app writes partial folders: a variant build, a build with an adapter folded in,
// a merged model's source, an adapter's copy. A partial folder whose writer still runs (another
// Hearth process) is left alone, and so is every complete folder.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLED_MODEL_ID } from './library-service.ts';
import { adaptedVariantDir, adapterDataDir, mergedModelSourceDir, variantDir } from './model-paths.ts';
import { openTestServices } from './services-test-support.ts';

/** The id of a process that has exited (this test reaped it). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

async function folderWithAFile(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.onnx.data'), 'half written');
  return dir;
}

describe('partial folders a killed Hearth left', () => {
  it('are removed at start-up wherever the app writes them; a live writer’s and complete folders stay', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'hearth-partials-'));
    const dead = await deadPid();
    const stale = [
      `${variantDir(dataDir, BUNDLED_MODEL_ID, 'int4')}.partial-${dead}-1`,
      `${adaptedVariantDir(dataDir, BUNDLED_MODEL_ID, 'adapter-1', 'int8')}.partial-${dead}-2`,
      `${mergedModelSourceDir(dataDir, 'merged-1')}.partial-${dead}-3`,
      `${adapterDataDir(dataDir, 'adapter-2')}.partial-${dead}-4`,
      // This process's own id, as a killed run's may have been: nothing of this start is running yet.
      `${variantDir(dataDir, BUNDLED_MODEL_ID, 'fp16')}.partial-${process.pid}-5`,
    ];
    const kept = [
      `${variantDir(dataDir, BUNDLED_MODEL_ID, 'int8')}.partial-${process.ppid}-6`,
      variantDir(dataDir, BUNDLED_MODEL_ID, 'int8'),
      adapterDataDir(dataDir, 'adapter-3'),
    ];
    for (const dir of [...stale, ...kept]) await folderWithAFile(dir);

    const t = await openTestServices(undefined, dataDir);
    try {
      assert.deepEqual(stale.filter((dir) => existsSync(dir)), [], 'every stale partial folder is gone');
      assert.deepEqual(kept.filter((dir) => !existsSync(dir)), [], 'nothing else was touched');
    } finally {
      await t.cleanup();
    }
  });
});
