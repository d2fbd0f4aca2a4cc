// The worker as a real forked process, spoken to in its protocol: it says ready, answers a
// malformed request with an error as data, loads a built model (reporting WebGPU's failure as
// 'webgpu-failed' rather than falling back by itself), streams a reply, aborts keeping the
// partial text, and dies on kill with the signal reported.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CHAT_PARAMS } from '../common/contracts/chat.ts';
import { buildModel } from '../engine/builder/build-model.ts';
import { NodeWorkerLauncher } from './node-worker-launcher.ts';
import type { WorkerExit, WorkerHandle } from './worker-launcher.ts';
import { WorkerReplySchema, type WorkerReply, type WorkerRequest } from './worker-protocol.ts';

const BUNDLED_MODEL_DIR = fileURLToPath(new URL('../../resources/models/shakespeare-5m/', import.meta.url));

/** A worker whose replies are validated and queued for the test to take in order. */
class TestWorker {
  readonly handle: WorkerHandle;
  readonly exit: Promise<WorkerExit>;
  private readonly replies: WorkerReply[] = [];
  private wake: (() => void) | null = null;

  constructor(handle: WorkerHandle) {
    this.handle = handle;
    handle.onMessage((raw) => {
      this.replies.push(WorkerReplySchema.parse(raw));
      this.wake?.();
    });
    this.exit = new Promise((resolve) => handle.onExit(resolve));
  }

  send(message: WorkerRequest): void {
    this.handle.send(message);
  }

  /** The next reply of `type`, taken out of the queue (replies of other types stay queued). */
  async next<T extends WorkerReply['type']>(type: T): Promise<Extract<WorkerReply, { type: T }>> {
    for (;;) {
      const index = this.replies.findIndex((r) => r.type === type);
      if (index >= 0) return this.replies.splice(index, 1)[0] as Extract<WorkerReply, { type: T }>;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Every reply of `type` queued now, removed from the queue. */
  take<T extends WorkerReply['type']>(type: T): Extract<WorkerReply, { type: T }>[] {
    const taken = this.replies.filter((r): r is Extract<WorkerReply, { type: T }> => r.type === type);
    for (const reply of taken) this.replies.splice(this.replies.indexOf(reply), 1);
    return taken;
  }
}

let scratch: string;
let modelDir: string;
let worker: TestWorker;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hearth-worker-'));
  modelDir = join(scratch, 'int8');
  await buildModel(BUNDLED_MODEL_DIR, modelDir, { precision: 'int8', int8Kernel: 'dynamic' });
  worker = new TestWorker(new NodeWorkerLauncher().launch());
});
after(async () => {
  worker.handle.kill();
  await rm(scratch, { recursive: true, force: true });
});

const params = { ...DEFAULT_CHAT_PARAMS, temperature: 0, maxTokens: 16, contextLength: 256 };

describe('the inference worker process', () => {
  it('says ready with its pid', async () => {
    const ready = await worker.next('ready');
    assert.equal(ready.pid, worker.handle.pid);
  });

  it('answers requests it cannot read, or cannot serve yet, with errors as data', async () => {
    (worker.handle.send as (message: unknown) => void)({ type: 'generate', requestId: 'r1', conversationId: 'c', messages: [] });
    const malformed = await worker.next('failed');
    assert.equal(malformed.requestId, 'r1');
    assert.equal(malformed.error.code, 'invalid-input');
    assert.match(malformed.error.message, /messages/);

    worker.send({ type: 'generate', requestId: 'r2', conversationId: 'c', systemPrompt: null, messages: [{ role: 'user', content: 'Hi' }], params });
    const unloaded = await worker.next('failed');
    assert.equal(unloaded.requestId, 'r2');
    assert.equal(unloaded.error.code, 'model-load-failed');

    worker.send({ type: 'load', requestId: 'r3', modelDir: join(scratch, 'missing'), device: 'cpu' });
    const missing = await worker.next('failed');
    assert.equal(missing.error.code, 'model-load-failed');
    assert.match(missing.error.message, /hearth\.json is missing/);
  });

  it('reports why WebGPU failed instead of falling back to the CPU itself', async () => {
    worker.send({ type: 'load', requestId: 'gpu', modelDir, device: 'gpu' });
    const reply = await Promise.race([worker.next('loaded'), worker.next('failed')]);
    if (reply.type === 'loaded') {
      assert.equal(reply.device, 'gpu', 'a machine with WebGPU loads on it');
    } else {
      assert.equal(reply.error.code, 'webgpu-failed');
      assert.match(reply.error.message, /WebGPU/);
    }
    worker.take('loaded');
    worker.take('failed');
  });

  it('loads on the CPU, reports its memory, streams a reply and reuses the KV on the next turn', async () => {
    worker.send({ type: 'load', requestId: 'load', modelDir, device: 'cpu' });
    const loaded = await worker.next('loaded');
    assert.equal(loaded.device, 'cpu');
    assert.ok(loaded.memoryBytes > 10e6);

    const messages = [{ role: 'user' as const, content: 'Who art thou?' }];
    worker.send({ type: 'generate', requestId: 'g1', conversationId: 'c1', systemPrompt: 'Be brief.', messages, params });
    const first = await worker.next('generated');
    const tokens = worker.take('token').filter((r) => r.requestId === 'g1');
    assert.equal(tokens.map((r) => r.text).join(''), first.text);
    assert.equal(first.stats.tokens, 16);
    assert.equal(first.stats.reusedTokens, 0);

    const next = [...messages, { role: 'assistant' as const, content: first.text }, { role: 'user' as const, content: 'And then?' }];
    worker.send({ type: 'generate', requestId: 'g2', conversationId: 'c1', systemPrompt: 'Be brief.', messages: next, params });
    const second = await worker.next('generated');
    assert.ok(second.stats.reusedTokens > 10, `reused ${second.stats.reusedTokens}`);

    // Another conversation starts from an empty cache.
    worker.send({ type: 'generate', requestId: 'g3', conversationId: 'c2', systemPrompt: 'Be brief.', messages, params });
    const other = await worker.next('generated');
    assert.equal(other.stats.reusedTokens, 0);
    assert.equal(other.text, first.text, 'greedy decoding repeats itself');
  });

  it('aborts on request, keeping the partial text', async () => {
    worker.take('token'); // left from the turns above
    worker.send({
      type: 'generate',
      requestId: 'long',
      conversationId: 'c3',
      systemPrompt: null,
      messages: [{ role: 'user', content: 'Tell a long tale.' }],
      params: { ...params, maxTokens: 400 },
    });
    await worker.next('token');
    worker.send({ type: 'abort', requestId: 'long' });
    const done = await worker.next('generated');
    assert.equal(done.stats.stopReason, 'aborted');
    assert.ok(done.stats.tokens > 0 && done.stats.tokens < 400, `${done.stats.tokens} tokens`);
    assert.ok(done.text.length > 0);
  });

  it('ends at once on kill, with the signal reported', async () => {
    worker.handle.kill();
    const exit = await worker.exit;
    assert.equal(exit.signal, 'SIGKILL');
  });
});
