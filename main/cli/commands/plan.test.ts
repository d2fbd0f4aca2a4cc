// `hearth plan`: the memory table per precision, its JSON form, size parsing errors, and a GGUF file's as-downloaded row.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildModel } from '../../engine/builder/build-model.ts';
import { planMemory } from '../../engine/memory-plan/memory-plan.ts';
import { openModelSource } from '../../engine/architectures/model-source.ts';
import { HF_TINY_DIR, fixturesMissing } from '../../engine/runtime/test/reference-fixtures.ts';
import { CliScratch, lastLine } from '../cli-test-support.ts';

const scratch = new CliScratch();
after(() => scratch.cleanup());
const LLAMA = join(HF_TINY_DIR, 'llama');

describe('hearth plan', { skip: fixturesMissing(HF_TINY_DIR) }, () => {
  it('prints weights, KV cache, workspace, total and fits for each precision', async () => {
    const result = await scratch.hearth(['plan', LLAMA, '--context', '256', '--vram', '8GiB', '--ram', '16GiB']);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.match(lines[0], /^llama: llama, 0\.16M parameters, context 256 tokens$/);
    assert.match(lines[1], /^RAM 16\.0 GiB, VRAM 8\.00 GiB; fits means total ≤ 90% of it$/);
    assert.match(lines[2], /^precision +weights +KV cache +workspace +total +RAM +VRAM$/);
    assert.match(lines[3], /^fp32 +\d.* (KiB|MiB) +yes +-$/);
    for (const [i, precision] of ['fp16', 'int8', 'int4'].entries()) assert.match(lines[4 + i], new RegExp(`^${precision} .* yes +yes$`));
  });

  it('--json prints one line with the plan of every precision', async () => {
    const result = await scratch.hearth(['plan', LLAMA, '--context', '128', '--vram', '60MiB', '--ram', '1GB', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim().split('\n').length, 1);
    const plan = JSON.parse(lastLine(result.stdout));
    assert.equal(plan.context, 128);
    assert.equal(plan.vramBytes, 60 * 2 ** 20);
    assert.equal(plan.ramBytes, 1e9);
    assert.deepEqual(plan.plans.map((p: { precision: string }) => p.precision), ['fp32', 'fp16', 'int8', 'int4']);
    const source = await openModelSource(LLAMA);
    await source.close();
    for (const p of plan.plans) {
      const expected = planMemory(source.spec, p.precision, 128);
      assert.equal(p.totalBytes, expected.totalBytes);
      assert.equal(p.fitsRam, expected.totalBytes <= 0.9e9);
      // VRAM holds the weights as stored, with no CPU runtime around them: the GPU plan.
      const onGpu = planMemory(source.spec, p.precision, 128, { device: 'gpu' });
      assert.equal(p.fitsVram, p.precision === 'fp32' ? null : onGpu.totalBytes <= 0.9 * 60 * 2 ** 20);
    }
    assert.ok(plan.plans.some((p: { fitsRam: boolean }) => p.fitsRam), 'the tiny model fits in 1 GB of RAM');
  });

  it('rejects a size it cannot read, and a context longer than the model takes', async () => {
    const size = await scratch.hearth(['plan', LLAMA, '--vram', '8 gigs']);
    assert.equal(size.code, 2);
    assert.match(size.stderr, /--vram: '8 gigs' is not a size; write e\.g\. 8GiB/);
    const context = await scratch.hearth(['plan', LLAMA, '--context', '100000']);
    assert.equal(context.code, 2);
    assert.match(context.stderr, /--context 100000 is longer than the 256 tokens/);
  });
});

const Q4_K_M = join(HF_TINY_DIR, '..', 'gguf', 'shakespeare-5m-q4_k_m.gguf');

describe('hearth plan FILE.gguf', { skip: existsSync(Q4_K_M) ? false : `${Q4_K_M} is absent` }, () => {
  it('lists the file as downloaded first, at the weight bytes its build stores, in text and --json', async () => {
    const text = await scratch.hearth(['plan', Q4_K_M, '--context', '256', '--ram', '16GiB']);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.trim().split('\n');
    assert.match(lines[3], /^Q4_K_M \(as downloaded\) +\d.* MiB +yes +-$/);
    assert.match(lines[4], /^fp32 /);

    const json = await scratch.hearth(['plan', Q4_K_M, '--context', '256', '--ram', '16GiB', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const { asDownloaded, plans } = JSON.parse(lastLine(json.stdout));
    assert.equal(asDownloaded.name, 'Q4_K_M (as downloaded)');
    const built = await buildModel(Q4_K_M, join(await scratch.dir(), 'q4_k_m'), { precision: 'fp32', asDownloaded: true });
    assert.equal(asDownloaded.weightBytes, built.weightBytes, 'planned from the tensor table, stored by the build');
    const fp32 = plans.find((p: { precision: string }) => p.precision === 'fp32');
    assert.equal(asDownloaded.kvCacheBytes, fp32.kvCacheBytes);
    assert.equal(asDownloaded.totalBytes, fp32.totalBytes - fp32.residentWeightBytes + asDownloaded.residentWeightBytes);
    assert.ok(asDownloaded.residentWeightBytes < fp32.residentWeightBytes);
  });
});
