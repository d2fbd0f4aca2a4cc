// Opening a built model: the manifest is checked before ORT sees the graph, and each kind of
// broken folder gets an error that names it and says to rebuild.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MANIFEST_FILE } from '../../common/model-manifest.ts';
import { ExecutionProviderError, ModelLoadError, openModel } from './model-session.ts';
import { FixtureBuilds, HF_TINY_DIR, fixturesMissing } from './test/reference-fixtures.ts';

const skip = fixturesMissing(HF_TINY_DIR);
const builds = new FixtureBuilds();

describe('openModel', { skip }, () => {
  let built: string;
  let scratch: string;
  before(async () => {
    built = await builds.build(join(HF_TINY_DIR, 'llama'), 'llama');
    scratch = await mkdtemp(join(tmpdir(), 'hearth-open-'));
  });
  after(async () => {
    await builds.cleanup();
    await rm(scratch, { recursive: true, force: true });
  });

  /** A copy of the built folder, changed by `damage`. */
  async function damaged(name: string, damage: (dir: string) => Promise<void>): Promise<string> {
    const dir = join(scratch, name);
    await cp(built, dir, { recursive: true });
    await damage(dir);
    return dir;
  }

  it('opens a build and exposes its manifest and spec', async () => {
    const model = await openModel(built, { threads: 1 });
    try {
      assert.equal(model.manifest.precision, 'fp32');
      assert.equal(model.spec.architecture, 'llama');
      assert.equal(model.spec.attention.numKvHeads, 2);
      assert.equal(model.kvLocation, 'cpu');
      assert.ok(model.session.inputNames.includes('past_key_values.0.key'));
    } finally {
      await model.release();
    }
  });

  const broken: [string, (dir: string) => Promise<void>, RegExp][] = [
    ['missing manifest', (dir) => rm(join(dir, MANIFEST_FILE)), /hearth\.json is missing.*Rebuild/],
    ['corrupt manifest', (dir) => writeFile(join(dir, MANIFEST_FILE), '{"format": 1, "spec"'), /corrupt.*Rebuild/],
    [
      'older format',
      async (dir) => {
        const json = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8'));
        await writeFile(join(dir, MANIFEST_FILE), JSON.stringify({ ...json, format: 0 }));
      },
      /format 0.*reads format 1.*Rebuild/,
    ],
    [
      'manifest that breaks the schema',
      async (dir) => {
        const json = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8'));
        await writeFile(join(dir, MANIFEST_FILE), JSON.stringify({ ...json, precision: 'fp8' }));
      },
      /precision.*Rebuild/,
    ],
    ['missing weights file', (dir) => rm(join(dir, 'model.onnx.data')), /model\.onnx\.data.*missing.*Rebuild/],
  ];
  for (const [name, damage, message] of broken) {
    it(`rejects a ${name} with a ModelLoadError naming the folder`, async () => {
      const dir = await damaged(name.replaceAll(' ', '-'), damage);
      await assert.rejects(openModel(dir), (error: Error) => {
        assert.ok(error instanceof ModelLoadError, `${error.name}: ${error.message}`);
        assert.match(error.message, message);
        assert.ok(error.message.includes(dir), 'the message names the folder');
        return true;
      });
    });
  }

  it('reports a WebGPU provider that cannot start instead of falling back to the CPU', async () => {
    let model;
    try {
      model = await openModel(built, { executionProvider: 'webgpu' });
    } catch (error) {
      assert.ok(error instanceof ExecutionProviderError, `${(error as Error).name}: ${(error as Error).message}`);
      assert.match(error.message, /WebGPU execution provider could not start/);
      return;
    }
    // On a machine with a GPU it opens, and keeps the cache there.
    assert.equal(model.kvLocation, 'gpu-buffer');
    await model.release();
  });
});
