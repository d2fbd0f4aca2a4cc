// The build worker as a real forked process, spoken to in its protocol: it says ready, builds the
// bundled demo model at int4 into the folder it is given with progress messages (steps, bytes
// written) and 'built' with the manifest's weight bytes, exits when told; a build that cannot be
// done and a malformed request are answered with their errors as data. The progress meter is
// checked on its own with a clock the test moves.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MANIFEST_FILE } from '../common/model-manifest.ts';
import { BuildProgressMeter } from './build-progress-meter.ts';
import { BuildReplySchema, BuildRequestSchema, type BuildReply, type StartBuildRequest } from './build-protocol.ts';
import { NodeWorkerLauncher } from './node-worker-launcher.ts';
import type { WorkerExit, WorkerHandle } from './worker-launcher.ts';

const BUNDLED_MODEL_DIR = fileURLToPath(new URL('../../resources/models/shakespeare-5m/', import.meta.url));

/** A build process whose replies are validated and kept for the test to wait on. */
class TestBuilder {
  readonly handle: WorkerHandle;
  readonly exit: Promise<WorkerExit>;
  readonly replies: BuildReply[] = [];
  private wake: (() => void) | null = null;

  constructor() {
    this.handle = new NodeWorkerLauncher().launch('build');
    this.handle.onMessage((raw) => {
      this.replies.push(BuildReplySchema.parse(raw));
      this.wake?.();
    });
    this.exit = new Promise((resolve) => this.handle.onExit(resolve));
  }

  async next<T extends BuildReply['type']>(type: T): Promise<Extract<BuildReply, { type: T }>> {
    for (;;) {
      const found = this.replies.find((r): r is Extract<BuildReply, { type: T }> => r.type === type);
      if (found) return found;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** The build's final message, 'built' or 'failed'. */
  async ended(): Promise<Extract<BuildReply, { type: 'built' | 'failed' }>> {
    for (;;) {
      const found = this.replies.find((r): r is Extract<BuildReply, { type: 'built' | 'failed' }> => r.type === 'built' || r.type === 'failed');
      if (found) return found;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

let scratch: string;
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hearth-build-worker-'));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function startRequest(outDir: string, overrides: Partial<StartBuildRequest> = {}): StartBuildRequest {
  return { type: 'start', sourceDir: BUNDLED_MODEL_DIR, adapterDir: null, outDir, precision: 'int4', attention: 'fused', int8Kernel: null, asDownloaded: false, expectedWeightBytes: null, ...overrides };
}

describe('the build worker process', { timeout: 120_000 }, () => {
  it('builds the demo model at int4 with progress, says built, and exits when told', async () => {
    const builder = new TestBuilder();
    const ready = await builder.next('ready');
    assert.ok(ready.pid > 0 && ready.pid !== process.pid, 'a process of its own');
    const outDir = join(scratch, 'int4.partial-test');
    builder.handle.send(startRequest(outDir));
    const ended = await builder.ended();
    assert.equal(ended.type, 'built', ended.type === 'failed' ? ended.message : '');
    const manifest = JSON.parse(await readFile(join(outDir, MANIFEST_FILE), 'utf8')) as { precision: string; weightBytes: number };
    assert.equal(manifest.precision, 'int4');
    assert.equal(ended.type === 'built' && ended.weightBytes, manifest.weightBytes);

    const progress = builder.replies.filter((r): r is Extract<BuildReply, { type: 'progress' }> => r.type === 'progress');
    assert.ok(progress.some((p) => /^layer 6 of 6$/.test(p.label)), 'the builder steps are forwarded');
    assert.ok(progress.every((p, i) => i === 0 || p.bytesWritten >= progress[i - 1].bytesWritten), 'the bytes written only grow');
    assert.ok(progress[progress.length - 1].bytesWritten > manifest.weightBytes / 2, 'the bytes in the folder are counted');

    builder.handle.send({ type: 'shutdown' });
    assert.deepEqual(await builder.exit, { code: 0, signal: null });
  });

  it('answers a build it cannot do with the builder message, and a malformed request with an error, both as data', async () => {
    const builder = new TestBuilder();
    await builder.next('ready');
    builder.handle.send({ type: 'start', sourceDir: 42 } as unknown as StartBuildRequest);
    const malformed = await builder.next('failed');
    assert.equal(malformed.code, 'internal');
    assert.match(malformed.message, /malformed request: sourceDir/);

    builder.replies.length = 0;
    const missing = join(scratch, 'no-such-model');
    builder.handle.send(startRequest(join(scratch, 'missing.partial-test'), { sourceDir: missing }));
    const failed = await builder.next('failed');
    assert.match(failed.message, /config\.json/, 'the builder says which file is missing');
    builder.handle.kill();
    await builder.exit;
  });
});

describe('build protocol and progress meter', () => {
  it('refuses requests and replies that break their schema', () => {
    assert.equal(BuildRequestSchema.safeParse(startRequest('/out')).success, true);
    assert.equal(BuildRequestSchema.safeParse({ ...startRequest('/out'), precision: 'int3' }).success, false);
    assert.equal(BuildRequestSchema.safeParse({ ...startRequest('/out'), expectedWeightBytes: 0 }).success, false);
    assert.equal(BuildReplySchema.safeParse({ type: 'progress', done: 1, total: 0, label: 'x', bytesWritten: 0, etaMs: null }).success, false, 'a total of 0 steps');
    assert.equal(BuildReplySchema.safeParse(JSON.parse(JSON.stringify({ type: 'progress', done: 1, total: 8, label: 'x', bytesWritten: 0, etaMs: Number.NaN }))).success, true, 'NaN crosses as null: no estimate');
    assert.equal(BuildReplySchema.safeParse({ type: 'failed', message: 'x', code: 'no-such-code' }).success, false);
  });

  it('tells the bytes in the folder and the time left from the rate so far', async () => {
    const dir = await mkdtemp(join(scratch, 'meter-'));
    let now = 1_000;
    const meter = new BuildProgressMeter(dir, 1_000, () => now);
    assert.deepEqual(meter.read(), { done: 0, total: 1, label: 'reading the model', bytesWritten: 0, etaMs: null });
    meter.setStep(2, 8, 'layer 1 of 6');
    await writeFile(join(dir, 'model.onnx.data'), Buffer.alloc(400));
    now += 4_000;
    // 400 of 1000 bytes in 4 s: 6 s left (the bytes are ahead of the steps, 2 of 8).
    assert.deepEqual(meter.read(), { done: 2, total: 8, label: 'layer 1 of 6', bytesWritten: 400, etaMs: 6_000 });
    await writeFile(join(dir, 'model.onnx.data'), Buffer.alloc(1_500));
    assert.ok(meter.read().etaMs! > 0, 'past the planned figure, not done until the builder says so');
    meter.setStep(8, 8, 'done');
    assert.equal(meter.read().etaMs, 0);
  });
});
