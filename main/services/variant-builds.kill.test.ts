// kill -9 of the whole app while it builds an int4 variant of the demo model: the app process
// (`hearth serve`) is SIGKILLed once the build has started writing. The database must be intact
// with everything the user had (an int8 variant built before included), and the restarted app
// must show no variant as ready that is not, leave no partial folder behind, and build the
// variant again when asked.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelSummary } from '../common/contracts/models.ts';
import { MANIFEST_FILE } from '../common/model-manifest.ts';
import { readManifest } from '../engine/runtime/model-session.ts';
import { lostUserData, readUserData, seedUserData, useKillTestScratch, waitFor, type AppProcess, type UserData } from './app-process-test-support.ts';
import { BUNDLED_MODEL_ID } from './library-service.ts';
import { modelDataDir, variantDir } from './model-paths.ts';

const BUILD_TIMEOUT_MS = 120_000;

const scratch = useKillTestScratch('hearth-kill-build-');

/** The demo model's partial build folders on disk (beside its variants). */
function partialFolders(): string[] {
  const dir = modelDataDir(scratch.dataDir, BUNDLED_MODEL_ID);
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.includes('.partial')) : [];
}

async function variant(app: AppProcess, precision: 'int8' | 'int4'): Promise<ModelSummary['variants'][number] | undefined> {
  const model = (await app.call('models.list', {})).find((m) => m.id === BUNDLED_MODEL_ID);
  return model?.variants.find((v) => v.precision === precision);
}

async function built(app: AppProcess, precision: 'int8' | 'int4'): Promise<void> {
  await app.call('models.buildVariant', { modelId: BUNDLED_MODEL_ID, precision });
  const ended = await waitFor(`the ${precision} build to end`, async () => {
    const v = await variant(app, precision);
    return v && v.status !== 'building' ? v : undefined;
  }, BUILD_TIMEOUT_MS);
  assert.equal(ended.status, 'ready', ended.error ?? '');
}

/** A variant folder is whole: its manifest, graph and weights are all there. */
async function assertWhole(dir: string): Promise<void> {
  const manifest = await readManifest(dir);
  assert.ok(existsSync(join(dir, manifest.graphFile)), `${manifest.graphFile} is in ${dir}`);
  assert.ok(existsSync(join(dir, manifest.dataFile)), `${manifest.dataFile} is in ${dir}`);
}

describe('kill -9 of the app during a variant build', { timeout: 300_000 }, () => {
  it('leaves no half-written variant: after a restart it is failed, its partial folder gone, and it builds again', async () => {
    const first = await scratch.start();
    await seedUserData(first, scratch.dataDir, scratch.dir);
    await built(first, 'int8');
    const had: UserData = readUserData(scratch.dataDir).data;

    await first.call('models.buildVariant', { modelId: BUNDLED_MODEL_ID, precision: 'int4' });
    // The kill comes once the build has started writing into its partial folder.
    await waitFor(
      'the int4 build to start writing',
      () => partialFolders().some((name) => readdirSync(join(modelDataDir(scratch.dataDir, BUNDLED_MODEL_ID), name)).length > 0),
      BUILD_TIMEOUT_MS,
      5,
    );
    await first.killHard();

    const int4Dir = variantDir(scratch.dataDir, BUNDLED_MODEL_ID, 'int4');
    assert.equal(partialFolders().length, 1, 'the kill cut the build off while it wrote (it had not finished)');
    assert.ok(!existsSync(join(int4Dir, MANIFEST_FILE)), 'nothing was moved into place');
    const crashed = readUserData(scratch.dataDir);
    assert.equal(crashed.integrity, 'ok');
    assert.deepEqual(lostUserData(had, crashed.data), [], 'nothing the user had is gone');

    const second = await scratch.start();
    assert.deepEqual(partialFolders(), [], 'the partial folder the kill left was removed at start-up');
    const cut = await variant(second, 'int4');
    assert.equal(cut?.status, 'failed', 'the build cut off is not shown as ready (nor as still building)');
    assert.match(cut?.error ?? '', /cut off when Hearth stopped/);
    assert.equal((await variant(second, 'int8'))?.status, 'ready', 'the variant built before the kill is still ready');
    await assertWhole(variantDir(scratch.dataDir, BUNDLED_MODEL_ID, 'int8'));

    await built(second, 'int4');
    await assertWhole(int4Dir);
    assert.deepEqual(partialFolders(), [], 'the rebuild left no partial folder');

    assert.equal(await second.stop(), 0, second.stderr());
    const closed = readUserData(scratch.dataDir);
    assert.equal(closed.integrity, 'ok');
    assert.deepEqual(lostUserData(had, closed.data), [], 'nothing the user had is gone');
  });
});
