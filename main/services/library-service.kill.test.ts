// kill -9 of the whole app during a model import: the app process (`hearth serve`) is SIGKILLed
// while it reads the folder being imported. To catch it there, and not before or after, the
// folder's config.json is a named pipe: opening the pipe's writing end succeeds only once the
// app has opened config.json to read it. The database must be intact with everything the user
// had, the restarted app must list no model for the folder (no record pointing at files it never
// finished checking), and the same folder must import when tried again.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { copyFile, cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { lostUserData, readUserData, seedUserData, useKillTestScratch, waitFor, type UserData } from './app-process-test-support.ts';
import { BUNDLED_MODEL_DIR } from './services-test-support.ts';

const skip = process.platform === 'win32' ? 'named pipes made by mkfifo (the deterministic kill point) exist on Linux and macOS only' : false;

const scratch = useKillTestScratch('hearth-kill-import-');

/** Opens the pipe's writing end without blocking: undefined while no process reads it. */
function openedByAReader(pipe: string): number | undefined {
  try {
    return openSync(pipe, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENXIO') return undefined;
    throw error;
  }
}

describe('kill -9 of the app during a model import', { skip, timeout: 300_000 }, () => {
  it('leaves no model record behind, and the folder imports after a restart', async () => {
    const first = await scratch.start();
    await seedUserData(first, scratch.dataDir, scratch.dir);
    const had: UserData = readUserData(scratch.dataDir).data;

    const folder = join(scratch.dir, 'imported-model');
    await cp(BUNDLED_MODEL_DIR, folder, { recursive: true });
    await rm(join(folder, 'config.json'));
    const made = spawnSync('mkfifo', [join(folder, 'config.json')]);
    assert.equal(made.status, 0, `mkfifo: ${made.stderr}`);

    const importing = first.call('models.import', { path: folder, name: 'Cut off' });
    // An import that ends before it reads config.json would leave the pipe unopened: say why.
    const ended = importing.then(
      (model) => assert.fail(`the import finished without reading config.json: ${JSON.stringify(model)}`),
      (error: Error) => error,
    );
    const fd = await waitFor('the import to open config.json', async () => {
      const settled = await Promise.race([ended, Promise.resolve(undefined)]);
      if (settled) assert.fail(`the import ended before reading config.json: ${settled.message}`);
      return openedByAReader(join(folder, 'config.json'));
    }, 60_000, 5);
    await first.killHard();
    closeSync(fd);
    assert.match((await ended).message, /socket hang up|ECONNRESET/, 'the call was cut off by the kill, not answered');

    const crashed = readUserData(scratch.dataDir);
    assert.equal(crashed.integrity, 'ok');
    assert.deepEqual(lostUserData(had, crashed.data), [], 'nothing the user had is gone');
    assert.ok(!crashed.data.models.some((model) => model.sourceDir === folder), 'no record of the model cut off');

    const second = await scratch.start();
    assert.ok(!(await second.call('models.list', {})).some((model) => model.name === 'Cut off'), 'the model cut off is not listed');
    await rm(join(folder, 'config.json'));
    await copyFile(join(BUNDLED_MODEL_DIR, 'config.json'), join(folder, 'config.json'));
    const imported = await second.call('models.import', { path: folder, name: 'Imported again' });
    assert.ok((await second.call('models.list', {})).some((model) => model.id === imported.id), 'the retry imports it');

    assert.equal(await second.stop(), 0, second.stderr());
    const closed = readUserData(scratch.dataDir);
    assert.equal(closed.integrity, 'ok');
    assert.deepEqual(lostUserData(had, closed.data), [], 'nothing the user had is gone');
  });
});
