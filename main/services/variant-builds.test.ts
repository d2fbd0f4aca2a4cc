// The precision plan and variant builds through the API handlers: a plan for the demo model on
// a CPU-only machine, an int8 build in a build worker process with progress events (steps, bytes
// written, time left; the CPU's integer-GEMM kernel), one build shared by concurrent requests,
// a failure reported with the builder's message, cancel (the process ended, nothing left, the
// variant not built), and delete freeing the variants' disk.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { cp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE } from '../common/model-manifest.ts';
import { BUNDLED_MODEL_ID } from './library-service.ts';
import { modelDataDir, variantDir } from './model-paths.ts';
import { BUNDLED_MODEL_DIR, openTestServices, RecordingLauncher, scratchDir, type TestServices } from './services-test-support.ts';

let t: TestServices;
let scratch: { dir: string; remove(): Promise<void> };
const launcher = new RecordingLauncher();
before(async () => {
  t = await openTestServices(launcher);
  scratch = await scratchDir('hearth-builds-');
});
after(async () => {
  await t.cleanup();
  await scratch.remove();
});

describe('precision plan and variant builds', () => {
  it('plans every precision for the demo model, on the CPU with the reason', async () => {
    const { modelId, plan } = await t.services.handlers['models.plan']({ modelId: BUNDLED_MODEL_ID, contextTokens: 256 });
    assert.equal(modelId, BUNDLED_MODEL_ID);
    assert.equal(plan.contextTokens, 256);
    assert.deepEqual(plan.options.map((o) => o.precision), ['fp32', 'fp16', 'int8', 'int4']);
    assert.ok(plan.options.every((o) => o.fit === 'fits-ram-cpu'));
    assert.equal(plan.recommended?.device, 'cpu');
    assert.match(plan.cpuReason ?? '', /^no GPU found \(searched: nvidia-smi: not installed/);
    const int8 = plan.options.find((o) => o.precision === 'int8')!;
    const fp32 = plan.options.find((o) => o.precision === 'fp32')!;
    assert.ok(int8.weightBytes < fp32.weightBytes / 2, 'int8 weights are under half of fp32');
    // Longer than the model was trained for: planned at the model's own limit.
    const clamped = await t.services.handlers['models.plan']({ modelId: BUNDLED_MODEL_ID, contextTokens: 100_000 });
    assert.equal(clamped.plan.contextTokens, 512);
  });

  it('builds int8 once, with progress events, into <dataDir>/models/<id>/int8-fused using the CPU kernel', async () => {
    const mark = t.events.mark();
    await t.services.handlers['models.buildVariant']({ modelId: BUNDLED_MODEL_ID, precision: 'int8' });
    // A second request while it builds joins the same build.
    await t.services.handlers['models.buildVariant']({ modelId: BUNDLED_MODEL_ID, precision: 'int8' });
    await t.events.next(mark, 'model.build', (e) => e.state === 'ready' && e.precision === 'int8');
    const progress = t.events.since(mark, 'model.build').filter((e) => e.state === 'building');
    assert.ok(progress.length >= 8, `expected a progress event per layer, got ${progress.length}`);
    assert.ok(progress.some((e) => /layer 6 of 6/.test(e.label)));
    const steps = progress.filter((e) => e.total > 1);
    assert.ok(steps.every((e, i) => i === 0 || e.done >= steps[i - 1].done), 'progress only goes forward');
    assert.equal(progress.filter((e) => e.label === 'starting').length, 1, 'one build, not two');
    // The worker reports what it has written, against the planner's figure for the weights.
    const written = progress.map((e) => e.bytesWritten ?? 0);
    assert.ok(written.every((bytes, i) => i === 0 || bytes >= written[i - 1]), 'the bytes written only grow');
    assert.ok(written[written.length - 1] > 0, 'the last progress event counts the bytes written');
    assert.ok(progress.some((e) => typeof e.expectedBytes === 'number' && e.expectedBytes > 0), 'the planner figure travels with the progress');

    const dir = variantDir(t.dataDir, BUNDLED_MODEL_ID, 'int8');
    const manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8'));
    assert.equal(manifest.precision, 'int8');
    assert.equal(manifest.int8Kernel, 'dynamic');
    const [model] = await t.services.handlers['models.list']({});
    const variant = model.variants.find((v) => v.precision === 'int8');
    assert.equal(variant?.status, 'ready');
    assert.equal(variant?.weightBytes, manifest.weightBytes);

    const again = t.events.mark();
    await t.services.handlers['models.buildVariant']({ modelId: BUNDLED_MODEL_ID, precision: 'int8' });
    const events = t.events.since(again, 'model.build');
    assert.deepEqual(events.map((e) => e.state), ['ready'], 'a built variant is reused, not rebuilt');
  });

  it('reports a failed build as an event and on the variant, with the message the build worker gave', async () => {
    const dir = join(scratch.dir, 'vanishing');
    await cp(BUNDLED_MODEL_DIR, dir, { recursive: true });
    const model = await t.services.handlers['models.import']({ path: dir });
    await rm(join(dir, 'model.safetensors'));
    const mark = t.events.mark();
    await t.services.handlers['models.buildVariant']({ modelId: model.id, precision: 'int4' });
    const failed = await t.events.next(mark, 'model.build', (e) => e.modelId === model.id && e.state !== 'building');
    assert.equal(failed.state, 'failed');
    assert.equal(failed.error?.code, 'model-build-failed');
    assert.match(failed.error?.message ?? '', /^Building the int4 variant failed: .*model\.safetensors/);
    const listed = (await t.services.handlers['models.list']({})).find((m) => m.id === model.id);
    assert.equal(listed?.variants[0].status, 'failed');
    assert.ok(!existsSync(variantDir(t.dataDir, model.id, 'int4')), 'no half-built folder is left');
  });

  it('cancels a build: its process is ended, its partial folder removed, the variant not built; it builds again after', async () => {
    const source = join(scratch.dir, 'to-cancel');
    await cp(BUNDLED_MODEL_DIR, source, { recursive: true });
    const model = await t.services.handlers['models.import']({ path: source });
    const partials = () => readdirSync(modelDataDir(t.dataDir, model.id)).filter((name) => name.includes('.partial'));

    // Cancelled while the worker writes: after its first layer, with bytes already in the partial folder.
    const mark = t.events.mark();
    await t.services.handlers['models.buildVariant']({ modelId: model.id, precision: 'int4' });
    await t.events.next(mark, 'model.build', (e) => e.modelId === model.id && /^layer 1 of/.test(e.label), 60_000);
    assert.equal(partials().length, 1, 'the build writes into a partial folder');
    const { cancelled } = await t.services.handlers['models.cancelBuild']({ modelId: model.id, precision: 'int4' });
    assert.equal(cancelled, true);
    const ended = t.events.since(mark, 'model.build').filter((e) => e.modelId === model.id && e.state !== 'building');
    assert.deepEqual(ended.map((e) => e.state), ['cancelled'], 'cancelled, not failed');
    assert.equal(ended[0].error, null, 'a cancel is not an error');
    assert.deepEqual(partials(), [], 'what the build wrote is gone');
    assert.ok(!existsSync(variantDir(t.dataDir, model.id, 'int4')), 'nothing was moved into place');
    const listed = (await t.services.handlers['models.list']({})).find((m) => m.id === model.id);
    assert.deepEqual(listed?.variants, [], 'the variant is not built (no failed row with an error)');
    assert.deepEqual(await t.services.handlers['models.cancelBuild']({ modelId: model.id, precision: 'int4' }), { cancelled: false }, 'nothing left to cancel');

    // Cancelled at once, before its process has said it is ready.
    const early = t.events.mark();
    await t.services.handlers['models.buildVariant']({ modelId: model.id, precision: 'int8' });
    assert.deepEqual(await t.services.handlers['models.cancelBuild']({ modelId: model.id, precision: 'int8' }), { cancelled: true });
    assert.deepEqual(t.events.since(early, 'model.build').filter((e) => e.state !== 'building').map((e) => e.state), ['cancelled']);
    assert.deepEqual(partials(), []);

    const again = t.events.mark();
    await t.services.handlers['models.buildVariant']({ modelId: model.id, precision: 'int4' });
    const ready = await t.events.next(again, 'model.build', (e) => e.modelId === model.id && e.state !== 'building', 60_000);
    assert.equal(ready.state, 'ready', ready.error?.message);
    assert.ok(existsSync(join(variantDir(t.dataDir, model.id, 'int4'), MANIFEST_FILE)));
  });

  it('a build process that dies (killed, out of memory) fails the build with what happened, leaving nothing written', async () => {
    const source = join(scratch.dir, 'to-kill');
    await cp(BUNDLED_MODEL_DIR, source, { recursive: true });
    const model = await t.services.handlers['models.import']({ path: source });
    const mark = t.events.mark();
    await t.services.handlers['models.buildVariant']({ modelId: model.id, precision: 'int4' });
    await t.events.next(mark, 'model.build', (e) => e.modelId === model.id && /^layer 1 of/.test(e.label), 60_000);
    launcher.buildHandles.at(-1)!.kill();
    const failed = await t.events.next(mark, 'model.build', (e) => e.modelId === model.id && e.state !== 'building');
    assert.equal(failed.state, 'failed');
    assert.match(failed.error?.message ?? '', /^Building the int4 variant failed: the build process was killed \(SIGKILL\) before it finished\. Try again/);
    assert.deepEqual(readdirSync(modelDataDir(t.dataDir, model.id)).filter((name) => name.includes('.partial')), [], 'what it wrote is gone');
    const listed = (await t.services.handlers['models.list']({})).find((m) => m.id === model.id);
    assert.equal(listed?.variants[0]?.status, 'failed');
    assert.equal(launcher.handles.length, 0, 'no inference worker was needed');
  });

  it('deleting an imported model frees its built variants and removes it, leaving its source folder', async () => {
    const source = join(scratch.dir, 'to-delete');
    await cp(BUNDLED_MODEL_DIR, source, { recursive: true });
    const model = await t.services.handlers['models.import']({ path: source });
    const mark = t.events.mark();
    await t.services.handlers['models.buildVariant']({ modelId: model.id, precision: 'int4' });
    await t.events.next(mark, 'model.build', (e) => e.modelId === model.id && e.state === 'ready');
    assert.ok(existsSync(join(variantDir(t.dataDir, model.id, 'int4'), 'model.onnx.data')));

    await t.services.handlers['models.delete']({ modelId: model.id });
    assert.ok(!existsSync(modelDataDir(t.dataDir, model.id)), 'the built variants are gone');
    assert.ok(existsSync(join(source, 'model.safetensors')), "the user's folder is untouched");
    const listed = await t.services.handlers['models.list']({});
    assert.ok(!listed.some((m) => m.id === model.id));
  });
});
