// The workers' side of their protocols under random input: 10,000 seeded malformed requests each
// to the inference, training and build workers (their real receive functions, in this
// process), every one of which must be refused as data (one 'failed' reply the host can read,
// naming the problem) without a crash, a hang or an exit; then each must still serve a valid
// request. Last, a real forked inference worker fed malformed requests over its IPC channel,
// then a valid load and generation with the bundled demo model. The host's side (the replies
// it receives) is fuzzed in main/services/worker-replies-fuzz.test.ts.
// The seed is in the tests' names; HEARTH_FUZZ_SEED=N reruns with another.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CHAT_PARAMS } from '../common/contracts/chat.ts';
import { malformed, pickOne, type RandomSource } from '../common/test/malformed-values.ts';
import { buildModel } from '../engine/builder/build-model.ts';
import { SeededRandom } from '../engine/runtime/seeded-random.ts';
import type { z } from 'zod';
import { BuildRequestSchema, BuildReplySchema, type BuildReply } from './build-protocol.ts';
import { BuildWorker } from './build-worker.ts';
import { InferenceWorker } from './inference-worker.ts';
import { NodeWorkerLauncher } from './node-worker-launcher.ts';
import { TrainingRequestSchema, TrainingReplySchema, type TrainingReply } from './training-protocol.ts';
import { TrainingWorker } from './training-worker.ts';
import { WorkerReplySchema, WorkerRequestSchema, type WorkerReply } from './worker-protocol.ts';

const SEED = Number(process.env.HEARTH_FUZZ_SEED ?? 20_261_206);
const MESSAGES = 10_000;
/** Over a real IPC channel too. */
const FORKED_MESSAGES = 10_000;
const BUNDLED_MODEL_DIR = fileURLToPath(new URL('../../resources/models/shakespeare-5m/', import.meta.url));

const params = { ...DEFAULT_CHAT_PARAMS, temperature: 0, maxTokens: 8, contextLength: 256 };

const INFERENCE_REQUESTS = [
  { type: 'load', requestId: 'load-1', modelDir: '/models/demo/int8', device: 'cpu' },
  { type: 'generate', requestId: 'gen-1', conversationId: 'c1', systemPrompt: null, messages: [{ role: 'user', content: 'Hi' }], params, seed: 7 },
  {
    type: 'complete',
    requestId: 'cmp-1',
    prompt: { kind: 'chat', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }] },
    sampling: { maxTokens: 4, temperature: 0.5, topK: 40, frequencyPenalty: 0.5, seed: 3, stop: ['\n'] },
    logprobs: 2,
  },
  { type: 'complete', requestId: 'cmp-2', prompt: { kind: 'text', text: 'To be' }, sampling: {}, logprobs: null },
  { type: 'abort', requestId: 'gen-1' },
  { type: 'shutdown' },
];

const TRAINING_REQUESTS = [
  { type: 'start', jobId: 'j1', baseDir: '/models/demo', dataPath: '/data/train.jsonl', evalDataPath: null, outDir: '/data/jobs/j1', config: { steps: 10, r: 8 } },
  { type: 'cancel' },
  { type: 'shutdown' },
];

const BUILD_REQUESTS = [
  { type: 'start', sourceDir: '/models/demo', adapterDir: null, outDir: '/data/models/demo/int4-fused.partial-1-2', precision: 'int4', attention: 'fused', int8Kernel: null, asDownloaded: false, expectedWeightBytes: 3_000_000 },
  { type: 'shutdown' },
];

/**
 * `count` malformed messages from the examples, each one the schema refuses (a breaking that
 * happens to stay valid is drawn again). Half cross JSON first, as over child_process's channel
 * (NaN and Infinity become null, undefined fields vanish); half stay as they are, as Electron's
 * structured clone would carry them.
 */
function malformedMessages(random: RandomSource, examples: readonly unknown[], schema: z.ZodType, count: number, overJson = 0.5): unknown[] {
  const messages: unknown[] = [];
  while (messages.length < count) {
    let message = malformed(random, pickOne(random, examples));
    if (random.next() < overJson) {
      const text = JSON.stringify(message);
      if (text === undefined) continue; // nothing to send over JSON
      message = JSON.parse(text);
    }
    if (!schema.safeParse(message).success) messages.push(message);
  }
  return messages;
}

/** The request id the worker should echo: a readable one, else null. */
function idOf(message: unknown): string | null {
  const id = message !== null && typeof message === 'object' ? (message as { requestId?: unknown }).requestId : undefined;
  return typeof id === 'string' && id !== '' ? id : null;
}

const replyId = (reply: WorkerReply): string | null => ('requestId' in reply ? reply.requestId : null);

const overJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe(`the workers' protocols, fuzzed (seed ${SEED}; rerun with HEARTH_FUZZ_SEED=${SEED})`, () => {
  it(`the inference worker refuses ${MESSAGES.toLocaleString('en')} malformed requests as data and then serves a valid one`, async () => {
    const replies: WorkerReply[] = [];
    let exits = 0;
    const worker = new InferenceWorker(
      (reply) => replies.push(reply),
      () => exits++,
    );
    const messages = malformedMessages(new SeededRandom(SEED), INFERENCE_REQUESTS, WorkerRequestSchema, MESSAGES);
    const problems: string[] = [];
    for (const [index, message] of messages.entries()) {
      const before = replies.length;
      worker.receive(message);
      const answered = replies.slice(before);
      const reply = answered[0];
      // What the host receives is JSON, checked against the reply schema: the refusal must pass it.
      const parsed = WorkerReplySchema.safeParse(reply === undefined ? undefined : overJson(reply));
      if (answered.length !== 1 || !parsed.success || reply.type !== 'failed') problems.push(`message ${index}: ${answered.length} replies, ${JSON.stringify(reply)?.slice(0, 120)}`);
      else if (reply.error.code !== 'invalid-input' || !/malformed request: \S/.test(reply.error.message) || reply.requestId !== idOf(message)) {
        problems.push(`message ${index}: refused as ${JSON.stringify(reply).slice(0, 160)}`);
      }
    }
    assert.deepEqual(problems.slice(0, 10), [], `${problems.length} of ${MESSAGES} malformed requests were not refused as data (seed ${SEED})`);
    assert.equal(exits, 0, 'no malformed request made the worker exit');

    // Still serving: a load of a folder that is not a model fails as data, with its request id.
    const before = replies.length;
    worker.receive({ type: 'load', requestId: 'after-fuzz', modelDir: join(tmpdir(), 'hearth-no-such-model'), device: 'cpu' });
    for (let waited = 0; replies.length === before && waited < 200; waited++) await new Promise((resolve) => setTimeout(resolve, 25));
    const reply = replies[before];
    assert.ok(reply?.type === 'failed' && reply.requestId === 'after-fuzz' && reply.error.code === 'model-load-failed', JSON.stringify(reply));
  });

  it(`the training worker refuses ${MESSAGES.toLocaleString('en')} malformed requests as data and then starts a valid one`, async () => {
    const replies: TrainingReply[] = [];
    let exits = 0;
    const worker = new TrainingWorker(
      (reply) => replies.push(reply),
      () => exits++,
    );
    const messages = malformedMessages(new SeededRandom(SEED + 1), TRAINING_REQUESTS, TrainingRequestSchema, MESSAGES);
    const problems: string[] = [];
    for (const [index, message] of messages.entries()) {
      const before = replies.length;
      worker.receive(message);
      const answered = replies.slice(before);
      const reply = answered[0];
      const parsed = TrainingReplySchema.safeParse(reply === undefined ? undefined : overJson(reply));
      if (answered.length !== 1 || !parsed.success || reply.type !== 'failed' || !/malformed request: \S/.test(reply.message)) {
        problems.push(`message ${index}: ${answered.length} replies, ${JSON.stringify(reply)?.slice(0, 160)}`);
      }
    }
    assert.deepEqual(problems.slice(0, 10), [], `${problems.length} of ${MESSAGES} malformed requests were not refused as data (seed ${SEED + 1})`);
    assert.equal(exits, 0, 'no malformed request made the worker exit');

    // Still serving: a valid start runs (and fails as data: its base model folder does not exist).
    const before = replies.length;
    const missing = join(tmpdir(), 'hearth-no-such-base-model');
    worker.receive({ ...TRAINING_REQUESTS[0], baseDir: missing, outDir: join(tmpdir(), 'hearth-no-such-job') });
    for (let waited = 0; replies.length === before && waited < 400; waited++) await new Promise((resolve) => setTimeout(resolve, 25));
    const reply = replies[before];
    assert.ok(reply?.type === 'failed' && reply.message.includes('hearth-no-such-base-model'), JSON.stringify(reply));
  });

  it(`the build worker refuses ${MESSAGES.toLocaleString('en')} malformed requests as data and then starts a valid one`, async () => {
    const replies: BuildReply[] = [];
    let exits = 0;
    const worker = new BuildWorker(
      (reply) => replies.push(reply),
      () => exits++,
    );
    const messages = malformedMessages(new SeededRandom(SEED + 2), BUILD_REQUESTS, BuildRequestSchema, MESSAGES);
    const problems: string[] = [];
    for (const [index, message] of messages.entries()) {
      const before = replies.length;
      worker.receive(message);
      const answered = replies.slice(before);
      const reply = answered[0];
      const parsed = BuildReplySchema.safeParse(reply === undefined ? undefined : overJson(reply));
      if (answered.length !== 1 || !parsed.success || reply.type !== 'failed' || !/malformed request: \S/.test(reply.message)) {
        problems.push(`message ${index}: ${answered.length} replies, ${JSON.stringify(reply)?.slice(0, 160)}`);
      }
    }
    assert.deepEqual(problems.slice(0, 10), [], `${problems.length} of ${MESSAGES} malformed requests were not refused as data (seed ${SEED + 2})`);
    assert.equal(exits, 0, 'no malformed request made the worker exit');

    // Still serving: a valid start runs (and fails as data: its model folder does not exist).
    const missing = join(tmpdir(), 'hearth-no-such-model-to-build');
    worker.receive({ ...BUILD_REQUESTS[0], sourceDir: missing, outDir: join(tmpdir(), 'hearth-no-such-build.partial-1-2') });
    for (let waited = 0; !replies.some((r) => r.type !== 'failed' || r.message.includes(missing)) && waited < 400; waited++) await new Promise((resolve) => setTimeout(resolve, 25));
    const reply = replies.at(-1);
    assert.ok(reply?.type === 'failed' && reply.message.includes('hearth-no-such-model-to-build'), JSON.stringify(reply));
  });

  describe('a forked inference worker', () => {
    let scratch: string;
    let modelDir: string;
    before(async () => {
      scratch = await mkdtemp(join(tmpdir(), 'hearth-worker-fuzz-'));
      modelDir = join(scratch, 'fp32');
      await buildModel(BUNDLED_MODEL_DIR, modelDir, { precision: 'fp32' });
    });
    after(() => rm(scratch, { recursive: true, force: true }));

    it(`answers ${FORKED_MESSAGES.toLocaleString('en')} malformed requests over IPC, then loads the demo model and generates`, async () => {
      const handle = new NodeWorkerLauncher().launch();
      const replies: WorkerReply[] = [];
      const unreadable: unknown[] = [];
      let wake: () => void = () => {};
      handle.onMessage((raw) => {
        const parsed = WorkerReplySchema.safeParse(raw);
        if (parsed.success) replies.push(parsed.data);
        else unreadable.push(raw);
        wake();
      });
      let exited = false;
      handle.onExit(() => {
        exited = true;
        wake();
      });
      const waitFor = async (done: () => boolean, what: string, timeoutMs = 60_000) => {
        const deadline = Date.now() + timeoutMs;
        while (!done()) {
          assert.ok(!exited, `the worker exited while waiting for ${what}`);
          assert.ok(Date.now() < deadline, `no ${what} within ${timeoutMs / 1000} s`);
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 100);
          });
        }
      };
      try {
        await waitFor(() => replies.some((r) => r.type === 'ready'), "'ready'");
        // Over child_process's JSON channel only: what it cannot carry (undefined) is left out by the generator.
        const messages = malformedMessages(new SeededRandom(SEED + 2), INFERENCE_REQUESTS, WorkerRequestSchema, FORKED_MESSAGES, 1);
        for (const message of messages) (handle.send as (message: unknown) => void)(message);
        await waitFor(() => replies.filter((r) => r.type === 'failed').length >= FORKED_MESSAGES, `${FORKED_MESSAGES} refusals`);
        const refusals = replies.filter((r) => r.type === 'failed');
        assert.equal(refusals.length, FORKED_MESSAGES);
        assert.ok(refusals.every((r) => r.type === 'failed' && r.error.code === 'invalid-input'));
        assert.deepEqual(unreadable, [], 'every reply matched the protocol');

        handle.send({ type: 'load', requestId: 'load', modelDir, device: 'cpu' });
        await waitFor(() => replies.some((r) => replyId(r) === 'load'), 'an answer to the load');
        assert.ok(replies.some((r) => r.type === 'loaded' && replyId(r) === 'load'), JSON.stringify(replies.at(-1)));
        handle.send({ type: 'generate', requestId: 'gen', conversationId: 'c', systemPrompt: null, messages: [{ role: 'user', content: 'To be' }], params, seed: 1 });
        await waitFor(() => replies.some((r) => replyId(r) === 'gen' && (r.type === 'generated' || r.type === 'failed')), 'the generation');
        const generated = replies.find((r) => replyId(r) === 'gen' && r.type === 'generated');
        assert.ok(generated?.type === 'generated' && generated.stats.tokens > 0, JSON.stringify(replies.at(-1)));
      } finally {
        handle.kill();
      }
    });
  });
});
