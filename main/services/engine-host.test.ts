// The engine host's device choice and start-up failures, through the chat API: a machine whose
// plan puts the model on the GPU gets the GPU kernel for int8, and when WebGPU then fails to
// start the reply still comes, on the CPU, with WebGPU's reason shown; a worker that cannot
// start ends the reply with a readable error, and is tried again on the next message. Unload
// ends the worker (its memory goes with it) and the next message loads the model again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiError } from '../common/contracts/api-error.ts';
import type { HardwareSummary } from '../common/hardware-contract.ts';
import { MANIFEST_FILE } from '../common/model-manifest.ts';
import { NodeWorkerLauncher } from '../worker/node-worker-launcher.ts';
import type { WorkerLauncher } from '../worker/worker-launcher.ts';
import { createServices, type Services } from './create-services.ts';
import { BUNDLED_MODEL_ID } from './library-service.ts';
import { variantDir } from './model-paths.ts';
import { CPU_ONLY_MACHINE, EventRecorder, RecordingLauncher, RESOURCES_DIR } from './services-test-support.ts';

const GIB = 1024 ** 3;

/** A machine that reports a GPU and a working WebGPU provider. */
const GPU_MACHINE: HardwareSummary = {
  ...CPU_ONLY_MACHINE,
  gpus: [
    {
      vendor: 'nvidia',
      name: 'Test GPU',
      vramTotalBytes: 8 * GIB,
      vramFreeBytes: 7 * GIB,
      driver: '550.0',
      unifiedMemory: false,
      usableBytes: null,
      source: 'nvidia-smi',
      busId: '00000000:01:00.0',
      note: null,
    },
  ],
  webgpu: { available: true },
};

let scratch: string;
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hearth-engine-host-'));
});
after(() => rm(scratch, { recursive: true, force: true }));

/** Whether a process with this id still exists (signal 0 only checks). */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function open(name: string, machine: HardwareSummary, launcher: WorkerLauncher): Promise<{ services: Services; events: EventRecorder; dataDir: string }> {
  const dataDir = join(scratch, name);
  const services = await createServices({ dataDir, resourcesDir: RESOURCES_DIR, launcher, detectHardware: async () => machine });
  const events = new EventRecorder();
  services.events.subscribe(events.listener);
  return { services, events, dataDir };
}

describe('the engine host', () => {
  it('plans the GPU, builds int8 for it, and falls back to the CPU with the reason when WebGPU fails', async () => {
    const { services, events, dataDir } = await open('gpu', GPU_MACHINE, new NodeWorkerLauncher());
    try {
      const conversation = await services.handlers['conversations.create']({ modelId: BUNDLED_MODEL_ID, precision: 'int8' });
      await services.handlers['conversations.update']({ conversationId: conversation.id, params: { temperature: 0, maxTokens: 8, contextLength: 256 } });
      const mark = events.mark();
      const started = await services.handlers['chat.send']({ conversationId: conversation.id, text: 'Who art thou?' });
      const ended = await events.next(mark, 'chat.ended', (e) => e.message.id === started.assistantMessageId);
      assert.equal(ended.message.status, 'complete');

      const manifest = JSON.parse(await readFile(join(variantDir(dataDir, BUNDLED_MODEL_ID, 'int8'), MANIFEST_FILE), 'utf8'));
      assert.equal(manifest.int8Kernel, 'blockwise', 'int8 planned on the GPU uses the kernel WebGPU runs');
      const status = services.handlers['app.status']({});
      const worker = (await status).worker;
      if (ended.message.stats?.device === 'cpu') {
        // No working WebGPU here (the CI VMs have no GPU): the fallback is visible, with onnxruntime's reason.
        assert.match(worker.cpuReason ?? '', /^the WebGPU provider failed: /);
        const notice = events.since(mark, 'chat.notice').find((e) => e.kind === 'cpu-fallback');
        assert.match(notice?.text ?? '', /on the CPU: the WebGPU provider failed: /);
      } else {
        assert.equal(worker.device, 'gpu');
        assert.equal(worker.cpuReason, null);
      }
    } finally {
      await services.close();
    }
  });

  it('unloads the model on request: the worker and its memory are gone, and the next message loads it again', async () => {
    const launcher = new RecordingLauncher();
    const { services, events } = await open('unload', CPU_ONLY_MACHINE, launcher);
    try {
      const conversation = await services.handlers['conversations.create']({ modelId: BUNDLED_MODEL_ID, precision: 'int8' });
      await services.handlers['conversations.update']({ conversationId: conversation.id, params: { temperature: 0, maxTokens: 4, contextLength: 256 } });
      const reply = async (text: string) => {
        const mark = events.mark();
        const started = await services.handlers['chat.send']({ conversationId: conversation.id, text });
        const ended = await events.next(mark, 'chat.ended', (e) => e.message.id === started.assistantMessageId);
        assert.equal(ended.message.status, 'complete');
      };
      await reply('Who art thou?');
      const loaded = (await services.handlers['app.status']({})).worker;
      assert.equal(loaded.modelId, BUNDLED_MODEL_ID);
      assert.ok((loaded.memoryBytes ?? 0) > 10e6, `the loaded model's measured memory: ${loaded.memoryBytes}`);
      const pid = launcher.current?.pid;
      assert.ok(pid !== undefined && processRuns(pid), 'the worker runs while the model is loaded');

      const unloaded = await services.handlers['models.unload']({});
      assert.deepEqual([unloaded.state, unloaded.modelId, unloaded.memoryBytes], ['idle', null, null]);
      assert.equal(processRuns(pid), false, 'the worker holding the model has ended, so its memory is back with the system');
      assert.deepEqual((await services.handlers['models.unload']({})).modelId, null, 'unloading nothing is harmless');

      await reply('Speak again.');
      const reloaded = (await services.handlers['app.status']({})).worker;
      assert.equal(reloaded.modelId, BUNDLED_MODEL_ID);
      assert.ok((reloaded.memoryBytes ?? 0) > 10e6);
      assert.notEqual(launcher.current?.pid, pid, 'a fresh worker loaded it');
    } finally {
      await services.close();
    }
  });

  it('refuses to unload while a reply is being written with the model', async () => {
    const { services, events } = await open('unload-busy', CPU_ONLY_MACHINE, new NodeWorkerLauncher());
    try {
      const conversation = await services.handlers['conversations.create']({ modelId: BUNDLED_MODEL_ID, precision: 'int8' });
      await services.handlers['conversations.update']({ conversationId: conversation.id, params: { temperature: 0, maxTokens: 4, contextLength: 256 } });
      let mark = events.mark();
      let started = await services.handlers['chat.send']({ conversationId: conversation.id, text: 'Who art thou?' });
      await events.next(mark, 'chat.ended', (e) => e.message.id === started.assistantMessageId);
      mark = events.mark();
      started = await services.handlers['chat.send']({ conversationId: conversation.id, text: 'Speak again.' });
      await assert.rejects(services.handlers['models.unload']({}), (error: ApiError) => error.code === 'busy' && /stop it first/.test(error.message));
      const ended = await events.next(mark, 'chat.ended', (e) => e.message.id === started.assistantMessageId);
      assert.equal(ended.message.status, 'complete', 'the refused unload left the reply alone');
    } finally {
      await services.close();
    }
  });

  it('ends the reply with a readable error when the worker cannot start, and tries again on the next message', async () => {
    const brokenEntry = join(scratch, 'broken-worker.mjs');
    await writeFile(brokenEntry, 'process.exit(3);\n');
    const { services, events } = await open('broken', CPU_ONLY_MACHINE, new NodeWorkerLauncher({ entry: brokenEntry }));
    try {
      const conversation = await services.handlers['conversations.create']({ modelId: BUNDLED_MODEL_ID, precision: 'int4' });
      for (let attempt = 0; attempt < 2; attempt++) {
        const mark = events.mark();
        const started = await services.handlers['chat.send']({ conversationId: conversation.id, text: `Attempt ${attempt}` });
        const ended = await events.next(mark, 'chat.ended', (e) => e.message.id === started.assistantMessageId);
        assert.equal(ended.message.status, 'error');
        assert.match(ended.message.error ?? '', /inference worker exited with code 3 before it was ready/);
        const notice = events.since(mark, 'chat.notice').find((e) => e.kind === 'error');
        assert.match(notice?.text ?? '', /exited with code 3/);
      }
      assert.equal((await services.handlers['app.status']({})).worker.state, 'crashed');
    } finally {
      await services.close();
    }
  });
});
