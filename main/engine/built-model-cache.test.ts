// The build cache: a Hugging Face folder is built once and reused, rebuilt when the build is
// unfinished or stale, and a built folder passes through untouched.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MANIFEST_FILE } from '../common/model-manifest.ts';
import { openModelSource } from './architectures/model-source.ts';
import { ModelFolderError, resolveBuiltModel } from './built-model-cache.ts';
import { hashModelSource } from './builder/source-hash.ts';
import { readManifest } from './runtime/model-session.ts';
import { HF_TINY_DIR, fixturesMissing } from './runtime/test/reference-fixtures.ts';

const LLAMA = join(HF_TINY_DIR, 'llama');
const skip = fixturesMissing(HF_TINY_DIR);

describe('resolveBuiltModel', { skip }, () => {
  let cacheRoot: string;
  let built: string;
  let progressCalls = 0;
  before(async () => {
    cacheRoot = await mkdtemp(join(tmpdir(), 'hearth-cache-'));
    built = await resolveBuiltModel(LLAMA, { cacheRoot, onProgress: () => progressCalls++ });
  });
  after(() => rm(cacheRoot, { recursive: true, force: true }));

  it('builds a Hugging Face folder into the cache, named after the folder and options', async () => {
    assert.ok(progressCalls > 0, 'the first call builds');
    assert.ok(built.startsWith(cacheRoot));
    assert.match(built, /llama-[0-9a-f]{16}-fp32-fused$/);
    const manifest = await readManifest(built);
    assert.equal(manifest.precision, 'fp32');
    assert.deepEqual(await readdir(cacheRoot), [built.slice(cacheRoot.length + 1)], 'no partial build is left behind');
  });

  it('computes the same source hash as the builder stores', async () => {
    const source = await openModelSource(LLAMA);
    try {
      assert.equal(await hashModelSource(source.spec, LLAMA, source.checkpoint), (await readManifest(built)).sourceHash);
    } finally {
      await source.close();
    }
  });

  it('reuses a current build without building again', async () => {
    let calls = 0;
    assert.equal(await resolveBuiltModel(LLAMA, { cacheRoot, onProgress: () => calls++ }), built);
    assert.equal(calls, 0);
  });

  it('rebuilds when hearth.json is missing (an interrupted build)', async () => {
    await rm(join(built, MANIFEST_FILE));
    let calls = 0;
    assert.equal(await resolveBuiltModel(LLAMA, { cacheRoot, onProgress: () => calls++ }), built);
    assert.ok(calls > 0);
    assert.ok(existsSync(join(built, MANIFEST_FILE)));
  });

  it('rebuilds when the manifest names another source hash or builder version', async () => {
    for (const change of [{ sourceHash: 'stale' }, { builderVersion: 'old' }]) {
      const path = join(built, MANIFEST_FILE);
      await writeFile(path, JSON.stringify({ ...JSON.parse(await readFile(path, 'utf8')), ...change }));
      let calls = 0;
      await resolveBuiltModel(LLAMA, { cacheRoot, onProgress: () => calls++ });
      assert.ok(calls > 0, `rebuilt after ${JSON.stringify(change)}`);
      assert.notEqual((await readManifest(built)).sourceHash, 'stale');
    }
  });

  it('keeps builds of other precisions apart', async () => {
    const int8 = await resolveBuiltModel(LLAMA, { cacheRoot, precision: 'int8' });
    assert.notEqual(int8, built);
    assert.equal((await readManifest(int8)).precision, 'int8');
  });

  it('passes a built folder through, and refuses another precision for it', async () => {
    assert.equal(await resolveBuiltModel(built, { cacheRoot }), built);
    assert.equal(await resolveBuiltModel(built, { cacheRoot, precision: 'fp32' }), built);
    await assert.rejects(resolveBuiltModel(built, { cacheRoot, precision: 'int4' }), /already built in fp32/);
  });
});

describe('resolveBuiltModel on folders that are not models', () => {
  it('names a missing folder', async () => {
    await assert.rejects(resolveBuiltModel('/no/such/model'), (error: Error) => error instanceof ModelFolderError && /\/no\/such\/model does not exist/.test(error.message));
  });

  it('names a folder with neither hearth.json nor config.json', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'hearth-empty-'));
    try {
      await mkdir(join(empty, 'x'));
      await assert.rejects(resolveBuiltModel(join(empty, 'x')), /neither a built model \(no hearth\.json\) nor a Hugging Face model folder/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
