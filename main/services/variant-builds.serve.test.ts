// The web shell while it builds (`hearth serve`, a process of its own, as a user starts it): it
// keeps answering /api requests while the demo model builds at int4 in its build worker, and a
// quit in the middle of a build (SIGTERM, as Ctrl+C) ends the build, leaves no partial folder and
// no variant (neither ready nor failed), so the next start offers it unbuilt. The latencies are
// printed as test diagnostics.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Precision } from '../common/model-manifest.ts';
import { useKillTestScratch, waitFor, type AppProcess } from './app-process-test-support.ts';
import { BUNDLED_MODEL_ID } from './library-service.ts';
import { modelDataDir } from './model-paths.ts';

const BUILD_TIMEOUT_MS = 120_000;
/**
 * The slowest /api answer allowed while a build runs: far above what the server needs (a few
 * milliseconds), far below what a build in the server's own process held it up for (seconds at
 * the 0.5B shape), and loose enough for a loaded 2-core machine.
 */
const MAX_ANSWER_MS = 250;

const scratch = useKillTestScratch('hearth-serve-build-');

function partialFolders(): string[] {
  const dir = modelDataDir(scratch.dataDir, BUNDLED_MODEL_ID);
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.includes('.partial')) : [];
}

async function variantStatus(app: AppProcess, precision: Precision): Promise<string> {
  const model = (await app.call('models.list', {})).find((m) => m.id === BUNDLED_MODEL_ID);
  return model?.variants.find((v) => v.precision === precision)?.status ?? 'not built';
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

describe('the web shell during a variant build', { timeout: 300_000 }, () => {
  it('keeps answering /api requests while the demo model builds at int4', async (ctx) => {
    const app = await scratch.start();
    await app.call('models.buildVariant', { modelId: BUNDLED_MODEL_ID, precision: 'int4' });
    const answersMs: number[] = [];
    const deadline = Date.now() + BUILD_TIMEOUT_MS;
    let status = 'building';
    while (status === 'building' && Date.now() < deadline) {
      const start = performance.now();
      await app.call('app.status', {});
      status = await variantStatus(app, 'int4');
      answersMs.push(performance.now() - start);
    }
    assert.equal(status, 'ready');
    ctx.diagnostic(`${answersMs.length} /api round trips (app.status + models.list) during the build: median ${median(answersMs).toFixed(1)} ms, slowest ${Math.max(...answersMs).toFixed(1)} ms`);
    assert.ok(answersMs.length >= 5, `the server answered ${answersMs.length} times while it built`);
    assert.ok(Math.max(...answersMs) < 2 * MAX_ANSWER_MS, `the slowest pair of answers took ${Math.max(...answersMs).toFixed(1)} ms (limit ${MAX_ANSWER_MS} ms each)`);
    assert.equal(await app.stop(), 0, app.stderr());
  });

  it('a quit during a build ends it: no partial folder, the variant not built, offered again at the next start', async () => {
    const app = await scratch.start();
    await app.call('models.buildVariant', { modelId: BUNDLED_MODEL_ID, precision: 'int8' });
    await waitFor(
      'the int8 build to start writing',
      () => partialFolders().some((name) => readdirSync(join(modelDataDir(scratch.dataDir, BUNDLED_MODEL_ID), name)).length > 0),
      BUILD_TIMEOUT_MS,
      5,
    );
    const workers = app.childPids();
    assert.equal(await app.stop(), 0, app.stderr());
    assert.deepEqual(partialFolders(), [], 'the quit removed what the build had written');
    for (const pid of workers) {
      await waitFor(`the app's child ${pid} to end`, () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      }, 10_000);
    }

    const again = await scratch.start();
    assert.equal(await variantStatus(again, 'int8'), 'not built', 'neither ready nor failed');
    assert.equal(await again.stop(), 0, again.stderr());
  });
});
