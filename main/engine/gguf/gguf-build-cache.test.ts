// A GGUF file in the build cache: built once and reused, with the tokenizer files beside the
// graph, and built again when the file's header changes (here one byte of general.name), since
// the source hash covers the metadata the tokenizer and chat template come from. Skips without ../shared.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelFolderError, resolveBuiltModel } from '../built-model-cache.ts';
import { readManifest } from '../runtime/model-session.ts';

const FIXTURE = fileURLToPath(new URL('../../../../shared/fixtures/gguf/shakespeare-5m-q8_0.gguf', import.meta.url));

describe('a GGUF file in the build cache', { skip: existsSync(FIXTURE) ? false : `${FIXTURE} is absent` }, () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-gguf-cache-'));
    file = join(dir, 'model.gguf');
    await copyFile(FIXTURE, file);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('is built once, reused, and built again when its metadata changes', async () => {
    const cacheRoot = join(dir, 'cache');
    let progress = 0;
    const built = await resolveBuiltModel(file, { cacheRoot, onProgress: () => progress++ });
    assert.ok(progress > 0, 'the first call builds');
    assert.match(built, /model\.gguf-[0-9a-f]{16}-as-downloaded-fused$/, "a GGUF file builds as downloaded unless a precision is asked for");
    assert.equal((await readManifest(built)).spec.architecture, 'llama');
    for (const companion of ['tokenizer.json', 'tokenizer_config.json']) assert.ok(existsSync(join(built, companion)), `${companion} is written`);

    progress = 0;
    assert.equal(await resolveBuiltModel(file, { cacheRoot, onProgress: () => progress++ }), built);
    assert.equal(progress, 0, 'the second call reuses the build');

    // "Shakespeare 5m" → "Shakespeare 5M": same length, so only the header's bytes differ.
    const bytes = await readFile(file);
    const at = bytes.indexOf(Buffer.from('Shakespeare 5m'));
    assert.ok(at > 0);
    const handle = await open(file, 'r+');
    await handle.write(Buffer.from('M'), 0, 1, at + 'Shakespeare 5'.length);
    await handle.close();
    const rebuilt = await resolveBuiltModel(file, { cacheRoot, onProgress: () => progress++ });
    assert.notEqual(rebuilt, built);
    assert.ok(progress > 0, 'a changed header is built again');
  });

  it('knows a GGUF file stored without its extension (as Ollama keeps them) by its first bytes, and refuses other files', async () => {
    const blob = join(dir, 'sha256-6a0746a1ec1a');
    await copyFile(FIXTURE, blob);
    const built = await resolveBuiltModel(blob, { cacheRoot: join(dir, 'cache') });
    assert.equal((await readManifest(built)).spec.numLayers, 6);
    const text = join(dir, 'notes.txt');
    await writeFile(text, 'GGU');
    await assert.rejects(resolveBuiltModel(text, { cacheRoot: join(dir, 'cache') }), (e: unknown) => e instanceof ModelFolderError && e.message === `${text} is a file; give the model's folder (or a .gguf file) instead.`);
  });
});
