// The host's side of the workers' protocols under random input: the engine host, a training run
// and a variant build run receive 10,000 seeded malformed replies each from their worker, every one of which must
// be refused (logged, dropped) without a crash, and none may settle a request or a run, even
// one carrying the id of the request waiting; then each still completes a valid exchange. The
// worker process is replaced by a scripted handle, so that the test decides what "the worker"
// says (what a real worker says is fuzzed in main/worker/worker-protocol-fuzz.test.ts).
// The seed is in the tests' names; HEARTH_FUZZ_SEED=N reruns with another.
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { z } from 'zod';
import { DEFAULT_CHAT_PARAMS } from '../common/contracts/chat.ts';
import { DEFAULT_FINETUNE_CONFIG } from '../common/contracts/jobs.ts';
import { malformed, pickOne, type RandomSource } from '../common/test/malformed-values.ts';
import { SeededRandom } from '../engine/runtime/seeded-random.ts';
import { BuildReplySchema, type BuildProgress } from '../worker/build-protocol.ts';
import { TrainingReplySchema } from '../worker/training-protocol.ts';
import type { WorkerExit, WorkerHandle, WorkerKind, WorkerLauncher, WorkerMessage } from '../worker/worker-launcher.ts';
import { WorkerReplySchema } from '../worker/worker-protocol.ts';
import { EngineHost, type LoadOutcome } from './engine-host.ts';
import { EventBus } from './event-bus.ts';
import { TrainingRun, type TrainingOutcome, type TrainingProgress } from './training-run.ts';
import { VariantBuildRun } from './variant-build-run.ts';

const SEED = Number(process.env.HEARTH_FUZZ_SEED ?? 20_261_206);
const MESSAGES = 10_000;

/** A worker process the test speaks for: what the host sends is recorded, what it receives is `say`. */
class ScriptedWorker implements WorkerHandle {
  readonly pid = 4242;
  readonly sent: WorkerMessage[] = [];
  private readonly listeners: ((message: unknown) => void)[] = [];
  private readonly exitListeners: ((exit: WorkerExit) => void)[] = [];
  killed = false;

  send(message: WorkerMessage): void {
    this.sent.push(message);
  }
  onMessage(listener: (message: unknown) => void): void {
    this.listeners.push(listener);
  }
  onExit(listener: (exit: WorkerExit) => void): void {
    this.exitListeners.push(listener);
  }
  kill(): void {
    if (this.killed) return;
    this.killed = true;
    for (const listener of this.exitListeners) listener({ code: null, signal: 'SIGKILL' });
  }
  say(message: unknown): void {
    for (const listener of this.listeners) listener(message);
  }
}

class ScriptedLauncher implements WorkerLauncher {
  readonly launched: { kind: WorkerKind; worker: ScriptedWorker }[] = [];
  launch(kind: WorkerKind = 'inference'): WorkerHandle {
    const worker = new ScriptedWorker();
    this.launched.push({ kind, worker });
    return worker;
  }
  get last(): ScriptedWorker {
    return this.launched[this.launched.length - 1].worker;
  }
}

/** Malformed replies from valid examples (see malformed-values.ts), each one the schema refuses; half crossed JSON. */
function malformedReplies(random: RandomSource, examples: readonly unknown[], schema: z.ZodType, count: number): unknown[] {
  const replies: unknown[] = [];
  while (replies.length < count) {
    let reply = malformed(random, pickOne(random, examples));
    if (random.next() < 0.5) {
      const text = JSON.stringify(reply);
      if (text === undefined) continue;
      reply = JSON.parse(text);
    }
    if (!schema.safeParse(reply).success) replies.push(reply);
  }
  return replies;
}

/** Counts console.error calls (the hosts log each refused reply there) without printing 10,000 lines. */
function countLoggedRefusals(t: TestContext, pattern: RegExp): () => number {
  let count = 0;
  t.mock.method(console, 'error', (...args: unknown[]) => {
    if (pattern.test(args.map(String).join(' '))) count++;
  });
  return () => count;
}

const settledState = (promise: Promise<unknown>): Promise<'pending' | 'settled'> =>
  Promise.race([promise.then(() => 'settled' as const, () => 'settled' as const), new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);

describe(`the hosts' side of the workers' protocols, fuzzed (seed ${SEED}; rerun with HEARTH_FUZZ_SEED=${SEED})`, () => {
  it(`the engine host refuses ${MESSAGES.toLocaleString('en')} malformed replies, settles nothing with them, then loads and generates`, async (t) => {
    const refusals = countLoggedRefusals(t, /ignored a malformed message from the worker/);
    const launcher = new ScriptedLauncher();
    const host = new EngineHost(launcher, new EventBus());
    const load: Promise<LoadOutcome> = host.load({ modelId: 'demo', precision: 'fp32', dir: '/models/demo/fp32', device: 'cpu', cpuReason: 'test', estimatedBytes: null });
    await new Promise((resolve) => setImmediate(resolve));
    const worker = launcher.last;
    const random = new SeededRandom(SEED + 3);

    // Before 'ready': garbage, including broken 'ready' messages, must not start anything.
    const half = MESSAGES / 2;
    const examples = (requestId: string) => [
      { type: 'ready', pid: 4242 },
      { type: 'loaded', requestId, device: 'cpu', memoryBytes: 1e8, loadMs: 12 },
      { type: 'token', requestId, text: 'To' },
      { type: 'completion-token', requestId, text: '', logprobs: { token: 'T', bytes: [84], logprob: -0.5, top: [{ token: 'T', bytes: [84], logprob: -0.5 }] } },
      { type: 'generated', requestId, text: 'To be', stats: { tokens: 2, tokensPerSecond: 10, ttftMs: 5, promptTokens: 3, reusedTokens: 0, dropped: { turns: 0, tokens: 0 }, stopReason: 'eos' } },
      { type: 'failed', requestId, error: { code: 'model-load-failed', message: 'no' } },
    ];
    for (const reply of malformedReplies(random, examples('nobody'), WorkerReplySchema, half)) worker.say(reply);
    assert.equal(worker.sent.length, 0, 'nothing was sent before a valid ready');

    worker.say({ type: 'ready', pid: 4242 });
    await new Promise((resolve) => setImmediate(resolve));
    const loadRequest = worker.sent.at(-1);
    assert.ok(loadRequest?.type === 'load', JSON.stringify(loadRequest));
    // Now garbage that carries the id of the load waiting for its answer: none may settle it.
    for (const reply of malformedReplies(random, examples(loadRequest.requestId), WorkerReplySchema, MESSAGES - half)) worker.say(reply);
    assert.equal(await settledState(load), 'pending', 'a malformed reply settled the load');
    assert.equal(refusals(), MESSAGES, 'each malformed reply was logged once');

    worker.say({ type: 'loaded', requestId: loadRequest.requestId, device: 'cpu', memoryBytes: 123_456_789, loadMs: 40 });
    const outcome = await load;
    assert.equal(outcome.memoryBytes, 123_456_789);

    const tokens: string[] = [];
    const generation = host.generate({ conversationId: 'c', systemPrompt: null, messages: [{ role: 'user', content: 'Hi' }], params: { ...DEFAULT_CHAT_PARAMS, temperature: 0, topP: 1, maxTokens: 4, contextLength: 256, overflow: 'stop' } }, (text) => tokens.push(text));
    worker.say({ type: 'token', requestId: generation.requestId, text: '' }); // malformed: a token is never empty
    worker.say({ type: 'token', requestId: generation.requestId, text: 'To' });
    worker.say({ type: 'generated', requestId: generation.requestId, text: 'To', stats: { tokens: 1, tokensPerSecond: 5, ttftMs: 3, promptTokens: 4, reusedTokens: 0, dropped: { turns: 0, tokens: 0 }, stopReason: 'max-tokens' } });
    assert.equal((await generation.done).text, 'To');
    assert.deepEqual(tokens, ['To']);
    assert.equal(worker.killed, false);
    assert.equal(launcher.launched.length, 1, 'the worker was never restarted');
    const closing = host.close();
    worker.kill();
    await closing;
  });

  it(`a training run refuses ${MESSAGES.toLocaleString('en')} malformed replies, ends on none of them, then runs to completion`, async (t) => {
    const refusals = countLoggedRefusals(t, /ignored a malformed message from the training worker/);
    const launcher = new ScriptedLauncher();
    const progress: TrainingProgress[] = [];
    const run = TrainingRun.start(
      launcher,
      { jobId: 'j1', baseDir: '/models/demo', dataPath: '/data/train.jsonl', evalDataPath: null, outDir: '/data/jobs/j1', config: { ...DEFAULT_FINETUNE_CONFIG, steps: 2 } },
      (reply) => progress.push(reply),
    );
    const worker = launcher.last;
    assert.equal(launcher.launched[0].kind, 'training');
    const examples = [
      { type: 'ready', pid: 4242 },
      { type: 'prepared', totalSteps: 2, trainExamples: 10, evalExamples: 1, truncated: 0, trainableParameters: 1000 },
      { type: 'resumed', step: 1 },
      { type: 'step', step: 1, totalSteps: 2, loss: 2.5, lr: 2e-4, tokensPerSecond: 900, etaMs: 1000 },
      { type: 'eval', step: 1, evalLoss: 2.4 },
      { type: 'checkpoint', step: 1 },
      { type: 'finished', status: 'completed', step: 2, adapterDir: '/data/jobs/j1/adapter' },
      { type: 'failed', message: 'bad data' },
    ];
    for (const reply of malformedReplies(new SeededRandom(SEED + 4), examples, TrainingReplySchema, MESSAGES)) worker.say(reply);
    assert.equal(refusals(), MESSAGES, 'each malformed reply was logged once');
    assert.equal(progress.length, 0, 'no malformed reply was relayed as progress');
    assert.equal(worker.sent.length, 0, 'nothing was started before a valid ready');
    assert.equal(await settledState(run.done), 'pending', 'a malformed reply ended the run');

    worker.say({ type: 'ready', pid: 4242 });
    assert.equal(worker.sent[0]?.type, 'start');
    worker.say({ type: 'step', step: 1, totalSteps: 2, loss: 2.5, lr: 2e-4, tokensPerSecond: 900, etaMs: 1000 });
    worker.say({ type: 'step', step: 2, totalSteps: 2, loss: null, lr: 2e-4, tokensPerSecond: 900, etaMs: 0 }); // a NaN loss, as JSON carries it
    worker.say({ type: 'finished', status: 'completed', step: 2, adapterDir: '/data/jobs/j1/adapter' });
    const outcome: TrainingOutcome = await run.done;
    assert.deepEqual(outcome, { kind: 'completed', step: 2, adapterDir: '/data/jobs/j1/adapter' });
    assert.deepEqual(
      progress.map((p) => p.type),
      ['step'],
      'the valid step was relayed, the one with a NaN loss refused',
    );
    worker.kill();
  });
  it(`a variant build run refuses ${MESSAGES.toLocaleString('en')} malformed replies, ends on none of them, then builds`, async (t) => {
    const refusals = countLoggedRefusals(t, /ignored a malformed message from the build worker/);
    const launcher = new ScriptedLauncher();
    const progress: BuildProgress[] = [];
    const run = VariantBuildRun.start(
      launcher,
      { sourceDir: '/models/demo', adapterDir: null, outDir: '/data/models/demo/int4-fused.partial-1-2', precision: 'int4', attention: 'fused', int8Kernel: null, asDownloaded: false, expectedWeightBytes: 3_000_000 },
      (reply) => progress.push(reply),
    );
    const worker = launcher.last;
    assert.equal(launcher.launched[0].kind, 'build');
    const examples = [
      { type: 'ready', pid: 4242 },
      { type: 'progress', done: 2, total: 8, label: 'layer 1 of 6', bytesWritten: 1_000_000, etaMs: 2_000 },
      { type: 'built', weightBytes: 3_082_296 },
      { type: 'failed', message: 'The checkpoint lacks model.safetensors.', code: null },
    ];
    for (const reply of malformedReplies(new SeededRandom(SEED + 5), examples, BuildReplySchema, MESSAGES)) worker.say(reply);
    assert.equal(refusals(), MESSAGES, 'each malformed reply was logged once');
    assert.equal(progress.length, 0, 'no malformed reply was relayed as progress');
    assert.equal(worker.sent.length, 0, 'nothing was started before a valid ready');
    assert.equal(await settledState(run.done), 'pending', 'a malformed reply ended the build');

    worker.say({ type: 'ready', pid: 4242 });
    assert.equal(worker.sent[0]?.type, 'start');
    worker.say({ type: 'progress', done: 2, total: 8, label: 'layer 1 of 6', bytesWritten: -1, etaMs: null }); // malformed: bytes are never negative
    worker.say({ type: 'progress', done: 2, total: 8, label: 'layer 1 of 6', bytesWritten: 1_000_000, etaMs: 2_000 });
    worker.say({ type: 'built', weightBytes: 3_082_296 });
    assert.deepEqual(await run.done, { kind: 'built', weightBytes: 3_082_296 });
    assert.deepEqual(progress.map((p) => p.bytesWritten), [1_000_000], 'the valid progress was relayed, the malformed one refused');
    assert.equal(worker.sent.at(-1)?.type, 'shutdown', 'the finished worker is told to exit');
    worker.kill();
  });
});
