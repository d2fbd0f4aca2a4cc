// `hearth plan` and `hearth build` refuse the two corrupt models import once accepted (a config
// claiming a billion layers against 6, vocab_size 10 against a 1,024-row embedding): exit 1 with
// the file and the mismatch on stderr, and no build left behind. The whole corpus of corrupt
// models runs through import and the engine's build in main/services/corrupt-model-import.test.ts.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliScratch, REPO_ROOT } from '../cli-test-support.ts';

const DEMO_MODEL = join(REPO_ROOT, 'resources', 'models', 'shakespeare-5m');

describe('the hearth command refuses the two models import once accepted', () => {
  const cli = new CliScratch();
  after(() => cli.cleanup());
  for (const [name, change, problem] of [
    ['a billion layers', { num_hidden_layers: 1_000_000_000 }, /config\.json gives num_hidden_layers = 1000000000, but the weights .*model\.safetensors\) hold 6 layers/],
    ['vocab_size 10', { vocab_size: 10 }, /model\.safetensors: tensor "model\.embed_tokens\.weight" has shape \[1024, 256\] \(embed\), but .*config\.json implies \[10, 256\]/],
  ] as const) {
    it(`${name}: plan and build exit 1 with the reason`, async () => {
      const dir = join(await cli.dir(), name.replace(/ /g, '-'));
      await cp(DEMO_MODEL, dir, { recursive: true });
      const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      await writeFile(join(dir, 'config.json'), JSON.stringify({ ...config, ...change }));
      for (const args of [['plan', dir], ['build', dir, '--out', join(dir, 'built')]]) {
        const result = await cli.hearth(args);
        assert.equal(result.code, 1, result.stderr);
        assert.match(result.stderr, problem);
      }
      assert.equal(existsSync(join(dir, 'built', 'hearth.json')), false, 'no build is left behind');
    });
  }
});
