// The WebGPU probe in a process of its own: the real probe answers (on a machine without a
// usable GPU, with onnxruntime's reason), and a probe process that crashes, hangs, cannot start
// or answers nonsense gives an unavailable status that says so, never an exception.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebGpuStatusSchema } from '../common/hardware-contract.ts';
import { NodeWorkerLauncher } from '../worker/node-worker-launcher.ts';
import { probeWebGpuInProcess } from './webgpu-probe-process.ts';

/** Probe entries that misbehave, as plain JavaScript run by Node. */
const BAD_PROBES = {
  'crash.mjs': 'process.abort();\n',
  'exit.mjs': 'process.exit(3);\n',
  // Keeps its event loop alive forever, as a driver stuck in its start-up would.
  'hang.mjs': 'setInterval(() => {}, 1000);\n',
  'nonsense.mjs': "process.send({ type: 'webgpu-probe.result', status: { available: 'yes' } });\nsetInterval(() => {}, 1000);\n",
};

let scratch: string;
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hearth-webgpu-probe-'));
  for (const [name, source] of Object.entries(BAD_PROBES)) await writeFile(join(scratch, name), source);
});
after(() => rm(scratch, { recursive: true, force: true }));

const launcherFor = (entry: keyof typeof BAD_PROBES | string) => new NodeWorkerLauncher({ webgpuProbeEntry: join(scratch, entry) });

describe('probeWebGpuInProcess', () => {
  it('the real probe answers from its own process: available, or onnxruntime\'s own reason', async () => {
    const status = WebGpuStatusSchema.parse(await probeWebGpuInProcess(new NodeWorkerLauncher()));
    if (status.available) {
      assert.equal(status.error, undefined);
      return;
    }
    // Without a usable GPU (as on the CI VMs), Dawn's adapter request fails, and that text
    // reaches the caller word for word, not a crash or a timeout.
    assert.ok(status.error && status.error.length > 0);
    assert.match(status.error, /webgpu|adapter/i);
    assert.doesNotMatch(status.error, /crashed|timed out/);
  });

  it('a probe process that crashes gives "WebGPU unavailable: the probe crashed", with how it ended', async () => {
    const status = await probeWebGpuInProcess(launcherFor('crash.mjs'));
    assert.equal(status.available, false);
    assert.match(status.error ?? '', /^WebGPU unavailable: the probe crashed: its process ended \(signal SIGABRT\) before answering/);
    const exited = await probeWebGpuInProcess(launcherFor('exit.mjs'));
    assert.match(exited.error ?? '', /^WebGPU unavailable: the probe crashed: its process ended \(exit code 3\)/);
  });

  it('a probe process that hangs is killed at the timeout and gives "WebGPU unavailable: the probe timed out"', async () => {
    const launcher = launcherFor('hang.mjs');
    let pid: number | undefined;
    const launch = launcher.launch.bind(launcher);
    launcher.launch = (kind) => {
      const handle = launch(kind);
      pid = handle.pid;
      return handle;
    };
    const started = performance.now();
    const status = await probeWebGpuInProcess(launcher, { timeoutMs: 1500 });
    assert.equal(status.available, false);
    assert.match(status.error ?? '', /^WebGPU unavailable: the probe timed out: its process gave no answer within 1500 ms and was killed/);
    assert.ok(performance.now() - started >= 1400);
    assert.ok(pid !== undefined);
    // The hung process is gone (a signal 0 to a dead pid throws ESRCH), not left holding the GPU.
    await waitUntil(() => !alive(pid as number));
  });

  it('an answer that fails the schema gives an unavailable status naming the bad field', async () => {
    const status = await probeWebGpuInProcess(launcherFor('nonsense.mjs'));
    assert.equal(status.available, false);
    assert.match(status.error ?? '', /^WebGPU unavailable: the probe process answered with a message Hearth does not understand \(status\.available: /);
  });

  it('a probe entry that does not exist gives an unavailable status, not an exception', async () => {
    const status = await probeWebGpuInProcess(launcherFor('missing.mjs'));
    assert.equal(status.available, false);
    assert.match(status.error ?? '', /^WebGPU unavailable: the probe (crashed|process could not start)/);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`still not true after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
