// Importing a GGUF file into the library, through the real services over a real SQLite store:
// the file llama.cpp's quantizer wrote (../shared/fixtures/gguf) is read where it is by default
// and copied into the data directory on request; a damaged one is refused at import with the file
// and the problem named, and the library (and the data directory) stay as they were.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiError } from '../common/contracts/api-error.ts';
import { DEFAULT_FINETUNE_CONFIG } from '../common/contracts/jobs.ts';
import { planGgufAsDownloaded } from '../engine/gguf/gguf-as-downloaded-plan.ts';
import { readGgufHeader } from '../engine/gguf/gguf-file.ts';
import { openTestServices, scratchDir, type TestServices } from './services-test-support.ts';

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/gguf/', import.meta.url));
const Q4_K_M = join(FIXTURES, 'shakespeare-5m-q4_k_m.gguf');
const skip = existsSync(Q4_K_M) ? false : `${Q4_K_M} is absent (the shared GGUF fixtures are not on this machine)`;

let t: TestServices;
let scratch: { dir: string; remove(): Promise<void> };
before(async () => {
  t = await openTestServices();
  scratch = await scratchDir('hearth-gguf-import-');
});
after(async () => {
  await t?.cleanup();
  await scratch?.remove();
});

async function importError(input: { path: string; copy?: boolean }): Promise<ApiError> {
  try {
    await t.services.handlers['models.import'](input);
  } catch (error) {
    assert.ok(error instanceof ApiError, `expected an ApiError, got ${String(error)}`);
    return error;
  }
  assert.fail(`importing ${input.path} should have failed`);
}

function modelsFolder(): string[] {
  const dir = join(t.dataDir, 'models');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

describe('GGUF import', { skip }, () => {
  it('reads the file where it is, with its own quantization and its weights as its build will store them; a second import is the same entry', async () => {
    const file = join(scratch.dir, 'shakespeare-5m-q4_k_m.gguf');
    await copyFile(Q4_K_M, file);
    const model = await t.services.handlers['models.import']({ path: file });
    assert.equal(model.name, 'shakespeare-5m-q4_k_m');
    assert.equal(model.architecture, 'llama');
    assert.equal(model.sizeOnDiskBytes, (await stat(file)).size);
    // Its weights as its build as downloaded will store them, planned from the tensor table (more than the file's tensors take).
    const planned = (await planGgufAsDownloaded(file, 1)).weightBytes;
    assert.deepEqual(model.gguf, { path: file, fileType: 'Q4_K_M', weightBytes: planned, copied: false });
    const stored = [...readGgufHeader(file).tensors.values()].reduce((sum, tensor) => sum + tensor.byteLength, 0);
    assert.ok(planned > stored && planned < 1.25 * model.sizeOnDiskBytes, `${planned} B planned for ${stored} B of tensors in a ${model.sizeOnDiskBytes}-byte file`);
    assert.deepEqual(modelsFolder(), [], 'nothing is copied');

    const again = await t.services.handlers['models.import']({ path: file, name: 'another name' });
    assert.equal(again.id, model.id);
    const listed = (await t.services.handlers['models.list']({})).find((m) => m.id === model.id);
    assert.deepEqual(listed?.gguf, model.gguf);
  });

  it('copies the file into the data directory on request, and deleting the model removes the copy but never the original', async () => {
    const model = await t.services.handlers['models.import']({ path: Q4_K_M, name: 'Copied', copy: true });
    const copy = join(t.dataDir, 'models', model.id, 'gguf', 'shakespeare-5m-q4_k_m.gguf');
    assert.deepEqual(model.gguf, { path: copy, fileType: 'Q4_K_M', weightBytes: model.gguf!.weightBytes, copied: true });
    assert.deepEqual(await readFile(copy), await readFile(Q4_K_M), 'the copy is the file, byte for byte');
    assert.deepEqual(readdirSync(join(t.dataDir, 'models', model.id, 'gguf')), ['shakespeare-5m-q4_k_m.gguf'], 'no partial copy is left');

    await t.services.handlers['models.delete']({ modelId: model.id });
    assert.equal(existsSync(copy), false);
    assert.equal(existsSync(Q4_K_M), true);
    assert.equal((await t.services.handlers['models.list']({})).some((m) => m.id === model.id), false);
  });

  it('names the other GGUF quantizations by llama.cpp\'s own names', async () => {
    for (const [file, fileType] of [['shakespeare-5m-q8_0.gguf', 'Q8_0'], ['shakespeare-5m-f32.gguf', 'F32']] as const) {
      const model = await t.services.handlers['models.import']({ path: join(FIXTURES, file) });
      assert.equal(model.gguf?.fileType, fileType, file);
    }
  });

  it('refuses a damaged GGUF file at import, naming the file and the problem, with the library and data directory unchanged', async () => {
    const heldBefore = await t.services.handlers['models.list']({});
    const foldersBefore = modelsFolder();
    const size = (await stat(Q4_K_M)).size;
    const header = readGgufHeader(Q4_K_M);

    const truncated = join(scratch.dir, 'truncated.gguf');
    await copyFile(Q4_K_M, truncated);
    const handle = await open(truncated, 'r+');
    await handle.truncate(size - 1000);
    await handle.close();

    const badMagic = join(scratch.dir, 'bad-magic.gguf');
    const bytes = await readFile(Q4_K_M);
    await writeFile(badMagic, Buffer.concat([Buffer.from('GGML'), bytes.subarray(4)]));

    const cutHeader = join(scratch.dir, 'cut-header.gguf');
    await writeFile(cutHeader, bytes.subarray(0, header.dataOffset - 100));

    for (const [path, problem] of [
      [truncated, /runs past the end of the file .* The file is truncated: download it again\./],
      [badMagic, /is not a GGUF file: it starts with "GGML"/],
      [cutHeader, /ends at byte \d+ inside its header .* The file is truncated/],
    ] as const) {
      for (const copy of [false, true]) {
        const error = await importError({ path, copy });
        assert.equal(error.code, 'model-invalid', error.message);
        assert.ok(error.message.includes(path), `the message names ${path}: ${error.message}`);
        assert.match(error.message, problem);
        assert.deepEqual(await t.services.handlers['models.list']({}), heldBefore, 'the library holds what it held');
        assert.deepEqual(modelsFolder(), foldersBefore, 'nothing was copied into the data directory');
      }
    }
  });

  it('refuses to fine-tune a GGUF model or add an adapter to it, saying the Hugging Face folder is needed', async () => {
    const model = await t.services.handlers['models.import']({ path: Q4_K_M });
    const trainPath = join(scratch.dir, 'train.jsonl');
    await writeFile(trainPath, '{"text": "To be, or not to be."}\n');
    const jobError = await t.services.handlers['jobs.create']({ baseModelId: model.id, trainPath, config: DEFAULT_FINETUNE_CONFIG }).then(
      () => assert.fail('a GGUF model was fine-tuned'),
      (error: unknown) => error as ApiError,
    );
    assert.equal(jobError.code, 'invalid-input');
    assert.match(jobError.message, /imported from a GGUF file \(Q4_K_M\), which Hearth chats with but cannot fine-tune: .*Hugging Face folder/);
    const adapterError = await t.services.handlers['adapters.importPeft']({ path: scratch.dir, baseModelId: model.id }).then(
      () => assert.fail('an adapter was added to a GGUF model'),
      (error: unknown) => error as ApiError,
    );
    assert.match(adapterError.message, /cannot add an adapter to/);
    assert.deepEqual(await t.services.handlers['jobs.list']({}), []);
  });

  it('refuses to copy a folder: only a GGUF file is copied in', async () => {
    const error = await importError({ path: FIXTURES, copy: true });
    assert.equal(error.code, 'invalid-input');
    assert.match(error.message, /only a GGUF file can be copied/);
  });
});
