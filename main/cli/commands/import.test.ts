// `hearth import`: a valid folder lands in the data directory's library (id and name printed),
// an invalid one is refused with the file named and exit status 1, and a missing folder
// argument is a usage error.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { databaseFileIn, openStore } from '../../store/store.ts';
import { CliScratch, REPO_ROOT } from '../cli-test-support.ts';

const BUNDLED_MODEL_DIR = join(REPO_ROOT, 'resources', 'models', 'shakespeare-5m');
const scratch = new CliScratch();
after(() => scratch.cleanup());

describe('hearth import', () => {
  it('imports a Hugging Face folder into --data-dir under --name and prints its id and name', async () => {
    const dataDir = join(await scratch.dir(), 'data');
    const result = await scratch.hearth(['import', BUNDLED_MODEL_DIR, '--data-dir', dataDir, '--name', 'Bard']);
    assert.equal(result.code, 0, result.stderr);
    const match = /^imported "Bard" with id (\S+)$/m.exec(result.stdout);
    assert.ok(match, result.stdout);
    assert.match(result.stdout, /llama, 4\.69M parameters, context 512 tokens/);

    const store = openStore(databaseFileIn(dataDir));
    try {
      const model = store.models.get(match[1]);
      assert.equal(model?.name, 'Bard');
      assert.equal(model?.isBundled, false);
      assert.equal(model?.sourceDir, BUNDLED_MODEL_DIR.replace(/\/$/, ''));
    } finally {
      store.close();
    }

    const json = await scratch.hearth(['import', BUNDLED_MODEL_DIR, '--data-dir', dataDir, '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).id, match[1], 'importing the same folder again gives the same model');
  });

  it('refuses an invalid folder, naming the file, and adds nothing', async () => {
    const dataDir = join(await scratch.dir(), 'data-invalid');
    const broken = join(await scratch.dir(), 'broken');
    await cp(BUNDLED_MODEL_DIR, broken, { recursive: true });
    await rm(join(broken, 'config.json'));
    const result = await scratch.hearth(['import', broken, '--data-dir', dataDir]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^hearth import: .*config\.json does not exist\. A Hugging Face model folder needs its config\.json/m);
    const store = openStore(databaseFileIn(dataDir));
    try {
      assert.equal(store.models.list().length, 0);
    } finally {
      store.close();
    }
  });

  it('needs exactly one folder', async () => {
    const result = await scratch.hearth(['import', '--data-dir', await scratch.dir()]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /give exactly one Hugging Face model folder/);
  });
});
