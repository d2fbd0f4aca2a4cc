// The model library through the API handlers: the bundled model, importing a valid folder,
// refusing invalid ones (naming the file, adding nothing), path traversal and symlink escapes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, mkdir, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiError } from '../common/contracts/api-error.ts';
import { BUNDLED_MODEL_ID } from './library-service.ts';
import { BUNDLED_MODEL_DIR, openTestServices, scratchDir, type TestServices } from './services-test-support.ts';

const SHARED_HF_TINY = fileURLToPath(new URL('../../../shared/fixtures/hf-tiny/llama/', import.meta.url));

let t: TestServices;
let scratch: { dir: string; remove(): Promise<void> };
before(async () => {
  t = await openTestServices();
  scratch = await scratchDir('hearth-library-');
});
after(async () => {
  await t.cleanup();
  await scratch.remove();
});

/** A fresh copy of the demo model's folder, to import or to break. */
async function modelCopy(name: string): Promise<string> {
  const dir = join(scratch.dir, name);
  await cp(BUNDLED_MODEL_DIR, dir, { recursive: true });
  return dir;
}

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ApiError, `expected an ApiError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

async function modelCount(): Promise<number> {
  return (await t.services.handlers['models.list']({})).length;
}

describe('the model library', () => {
  it('lists the bundled demo model with its facts, and refuses to delete it', async () => {
    const [bundled] = await t.services.handlers['models.list']({});
    assert.equal(bundled.id, BUNDLED_MODEL_ID);
    assert.equal(bundled.bundled, true);
    assert.equal(bundled.architecture, 'llama');
    assert.equal(bundled.contextLength, 512);
    assert.ok(bundled.parameters > 4e6 && bundled.parameters < 5e6, `parameters ${bundled.parameters}`);
    assert.ok(bundled.sizeOnDiskBytes > 9e6, `size ${bundled.sizeOnDiskBytes}`);
    const error = await rejection(t.services.handlers['models.delete']({ modelId: BUNDLED_MODEL_ID }));
    assert.equal(error.code, 'invalid-input');
    assert.match(error.message, /ships with Hearth/);
  });

  it('imports a valid Hugging Face folder under the given name, once', async () => {
    const dir = await modelCopy('valid');
    const mark = t.events.mark();
    const imported = await t.services.handlers['models.import']({ path: dir, name: 'My Bard' });
    assert.equal(imported.name, 'My Bard');
    assert.equal(imported.bundled, false);
    assert.equal(imported.architecture, 'llama');
    assert.deepEqual(imported.variants, []);
    assert.equal(t.events.since(mark, 'library.changed').length, 1);
    const listed = await t.services.handlers['models.list']({});
    assert.ok(listed.some((m) => m.id === imported.id && m.name === 'My Bard'));
    const again = await t.services.handlers['models.import']({ path: dir });
    assert.equal(again.id, imported.id, 'the same folder imported twice is one model');
    assert.equal(await modelCount(), listed.length);
  });

  it('refuses broken folders with the file and the fix, adding nothing', async () => {
    const cases: { name: string; breakIt: (dir: string) => Promise<void>; file: RegExp }[] = [
      { name: 'no-config', breakIt: (dir) => rm(join(dir, 'config.json')), file: /config\.json does not exist/ },
      { name: 'bad-config', breakIt: (dir) => writeFile(join(dir, 'config.json'), '{ not json'), file: /config\.json is not valid JSON/ },
      { name: 'no-weights', breakIt: (dir) => rm(join(dir, 'model.safetensors')), file: /model\.safetensors/ },
      { name: 'short-weights', breakIt: (dir) => truncate(join(dir, 'model.safetensors'), 5000), file: /model\.safetensors is truncated/ },
      { name: 'no-tokenizer', breakIt: (dir) => rm(join(dir, 'tokenizer.json')), file: /tokenizer\.json is missing/ },
    ];
    const before = await modelCount();
    for (const { name, breakIt, file } of cases) {
      const dir = await modelCopy(name);
      await breakIt(dir);
      const error = await rejection(t.services.handlers['models.import']({ path: dir }));
      assert.equal(error.code, 'model-invalid', name);
      assert.match(error.message, file, name);
    }
    assert.equal(await modelCount(), before);
  });

  it('refuses the shared hf-tiny llama folder, which has weights but no tokenizer', { skip: existsSync(SHARED_HF_TINY) ? false : `${SHARED_HF_TINY} is absent` }, async () => {
    const error = await rejection(t.services.handlers['models.import']({ path: SHARED_HF_TINY }));
    assert.equal(error.code, 'model-invalid');
    assert.match(error.message, /tokenizer\.json is missing/);
  });

  it('refuses relative paths, paths with .. and paths that are not folders', async () => {
    const dir = await modelCopy('traversal');
    const traversal = await rejection(t.services.handlers['models.import']({ path: join(dir, '..', 'traversal') + '/../traversal' }));
    assert.equal(traversal.code, 'model-invalid');
    assert.match(traversal.message, /contains '\.\.'/);
    const relative = await rejection(t.services.handlers['models.import']({ path: 'models/traversal' }));
    assert.match(relative.message, /not an absolute path/);
    const file = await rejection(t.services.handlers['models.import']({ path: join(dir, 'config.json') }));
    assert.match(file.message, /is a file/);
    const missing = await rejection(t.services.handlers['models.import']({ path: join(scratch.dir, 'nowhere') }));
    assert.match(missing.message, /does not exist/);
  });

  it('refuses a symlink inside the folder that points outside it, and accepts one that stays inside', async () => {
    const secret = join(scratch.dir, 'secret.json');
    await writeFile(secret, '{"model": {}}');
    const escaping = await modelCopy('symlink-escape');
    await rm(join(escaping, 'tokenizer.json'));
    await symlink(secret, join(escaping, 'tokenizer.json'));
    const before = await modelCount();
    const error = await rejection(t.services.handlers['models.import']({ path: escaping }));
    assert.equal(error.code, 'model-invalid');
    assert.match(error.message, /tokenizer\.json is a symbolic link to .*secret\.json, outside the model folder/);
    assert.equal(await modelCount(), before);

    const inside = await modelCopy('symlink-inside');
    await mkdir(join(inside, 'files'));
    await cp(join(inside, 'tokenizer.json'), join(inside, 'files', 'tokenizer.json'));
    await rm(join(inside, 'tokenizer.json'));
    await symlink(join(inside, 'files', 'tokenizer.json'), join(inside, 'tokenizer.json'));
    const imported = await t.services.handlers['models.import']({ path: inside });
    assert.equal(imported.architecture, 'llama');
  });

  it('refuses a safetensors index that names files outside the folder', async () => {
    const dir = await modelCopy('index-escape');
    await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { 'model.embed_tokens.weight': '../elsewhere.safetensors' } }));
    const error = await rejection(t.services.handlers['models.import']({ path: dir }));
    assert.equal(error.code, 'model-invalid');
    assert.match(error.message, /names the weight file '\.\.\/elsewhere\.safetensors'/);
  });

  it('checks inputs and ids: invalid-input for a bad request, not-found for unknown ids', async () => {
    const bad = await rejection(t.services.handlers['models.import']({ path: '' }));
    assert.equal(bad.code, 'invalid-input');
    const untyped = t.services.handlers['models.delete'] as (input: unknown) => Promise<unknown>;
    assert.equal((await rejection(untyped({ modelId: 42 }))).code, 'invalid-input');
    assert.equal((await rejection(t.services.handlers['models.delete']({ modelId: 'no-such-model' }))).code, 'not-found');
    assert.equal((await rejection(t.services.handlers['models.plan']({ modelId: 'no-such-model', contextTokens: 256 }))).code, 'not-found');
    assert.equal((await rejection(t.services.handlers['conversations.get']({ conversationId: 'nope' }))).code, 'not-found');
    assert.equal((await rejection(t.services.handlers['chat.send']({ conversationId: 'nope', text: 'hi' }))).code, 'not-found');
    assert.equal((await rejection(t.services.handlers['chat.editAndResend']({ messageId: 'nope', text: 'hi' }))).code, 'not-found');
  });
});
