import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openModelSource } from '../engine/architectures/model-source.ts';
import { initLoraAdapter } from './lora-adapter.ts';
import { AdapterFileError, ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, readPeftAdapter, writePeftAdapter } from './peft-adapter-files.ts';
import { parseTargetModules } from './lora-targets.ts';
import { FIXTURES_MISSING, LORA_FIXTURES, SHAKESPEARE_DIR } from './test/reference-batch.ts';

describe('PEFT adapter files', { skip: FIXTURES_MISSING }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-peft-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const name of ['adapter_init', 'adapter_greet']) {
    it(`reads PEFT's ${name} and writes it back byte for byte`, async () => {
      const adapter = await readPeftAdapter(join(LORA_FIXTURES, name));
      const out = join(dir, name);
      await writePeftAdapter(out, adapter);
      for (const file of [ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE]) {
        assert.ok(readFileSync(join(LORA_FIXTURES, name, file)).equals(readFileSync(join(out, file))), `${file} differs from PEFT's`);
      }
    });
  }

  it('reads adapter_greet: r 8, alpha 16, all seven linear modules of six layers', async () => {
    const source = await openModelSource(SHAKESPEARE_DIR);
    try {
      const adapter = await readPeftAdapter(join(LORA_FIXTURES, 'adapter_greet'), source.spec);
      assert.equal(adapter.settings.r, 8);
      assert.equal(adapter.settings.alpha, 16);
      assert.equal(adapter.modules.length, 42);
      const down = adapter.modules.find((m) => m.path === 'model.layers.5.mlp.down_proj')!;
      assert.deepEqual([down.outFeatures, down.inFeatures], [256, 704]);
    } finally {
      await source.close();
    }
  });

  it('round-trips a fresh adapter exactly (A Kaiming-uniform within ±1/√in, B zero)', async () => {
    const source = await openModelSource(SHAKESPEARE_DIR);
    try {
      const adapter = initLoraAdapter(source.spec, { r: 4, alpha: 8, dropout: 0.05, targetModules: parseTargetModules('all-linear') }, 3);
      const q = adapter.modules[0];
      assert.ok(q.a.every((v) => Math.abs(v) <= 1 / Math.sqrt(q.inFeatures)) && q.a.some((v) => v !== 0));
      assert.ok(q.b.every((v) => v === 0));
      const out = join(dir, 'fresh');
      await writePeftAdapter(out, adapter);
      const back = await readPeftAdapter(out, source.spec);
      assert.deepEqual(back.settings, adapter.settings);
      assert.deepEqual(back.modules, adapter.modules);
      assert.match(await readFile(join(out, ADAPTER_CONFIG_FILE), 'utf8'), /"lora_dropout": 0\.05,/);
      const again = initLoraAdapter(source.spec, adapter.settings, 3);
      assert.deepEqual(again.modules[5].a, adapter.modules[5].a, 'the same seed gives the same A');
    } finally {
      await source.close();
    }
  });

  it('refuses adapters it cannot apply, saying why', async () => {
    const out = join(dir, 'dora');
    await cp(join(LORA_FIXTURES, 'adapter_init'), out, { recursive: true });
    const config = JSON.parse(await readFile(join(out, ADAPTER_CONFIG_FILE), 'utf8'));
    await writeFile(join(out, ADAPTER_CONFIG_FILE), JSON.stringify({ ...config, use_dora: true }));
    await assert.rejects(readPeftAdapter(out), (error: Error) => error instanceof AdapterFileError && /DoRA/.test(error.message));
    await assert.rejects(readPeftAdapter(join(dir, 'nothing-here')), /is not a PEFT LoRA adapter/);
  });
});
