// What the worker process does with each request: load a built model (CPU, or WebGPU when
// asked, reporting why WebGPU failed instead of falling back quietly), answer conversations
// through the ConversationCache and API completions through the CompletionRunner, many at once
// (their decode steps batched by one BatchedDecoder), stream tokens, abort on request keeping
// the partial reply, and report the stats. Transport-free (worker-main.ts wires it to the process), so it can be
// driven in a test without a process.
import { ResponseFormatError } from '../engine/grammar/compiled-grammar-cache.ts';
import { BatchedDecoder } from '../engine/runtime/batched-decoder.ts';
import type { GenerationResult } from '../engine/runtime/generate.ts';
import { ContextOverflowError } from '../engine/runtime/context-overflow.ts';
import { ContextFullError } from '../engine/runtime/kv-cache.ts';
import { ExecutionProviderError, ModelLoadError, openModel } from '../engine/runtime/model-session.ts';
import type { LoadedModel } from '../engine/runtime/model-session.ts';
import { PerplexityInputError } from '../engine/runtime/perplexity.ts';
import { textPerplexity } from '../engine/runtime/text-perplexity.ts';
import { loadTokenizer, TokenizerLoadError } from '../engine/tokenizer/load-tokenizer.ts';
import type { TextTokenizer } from '../engine/tokenizer/text-tokenizer.ts';
import { readSamplingDefaults } from '../engine/runtime/sampling-defaults.ts';
import { ChatTemplateError } from '../engine/tokenizer/chat-template.ts';
import { CompletionInputError, CompletionRunner } from './completion-runner.ts';
import { ConversationCache } from './conversation-cache.ts';
import {
  describeIssues,
  requestIdOf,
  WorkerRequestSchema,
  type CompleteRequest,
  type GenerateRequest,
  type GenerationDone,
  type GenerationStats,
  type LoadModelRequest,
  type MeasurePerplexityRequest,
  type WorkerError,
  type WorkerReply,
} from './worker-protocol.ts';

interface Loaded {
  model: LoadedModel;
  tokenizer: TextTokenizer;
  cache: ConversationCache;
  /** API completions; the idle KV the chat keeps is freed when a completion starts, and the reverse. */
  completions: CompletionRunner;
  /** Batches the decode steps of every generation running at once. */
  decoder: BatchedDecoder;
}

interface RunningGeneration {
  controller: AbortController;
  /** The conversation a chat turn answers; null for an API completion. */
  conversationId: string | null;
}

export class InferenceWorker {
  private readonly post: (reply: WorkerReply) => void;
  private readonly exit: () => void;
  private loaded: Loaded | null = null;
  /** The generations running now, by request id. */
  private readonly running = new Map<string, RunningGeneration>();
  /** Settles when every generation running now has ended. */
  private generations = new Set<Promise<void>>();
  /**
   * Loads and measurements run one after another, each once every generation started before it
   * has ended; generations start once the load queued before them is done, and run at once.
   */
  private queue: Promise<void> = Promise.resolve();

  constructor(post: (reply: WorkerReply) => void, exit: () => void) {
    this.post = post;
    this.exit = exit;
  }

  /** Handles one raw message from the host. */
  receive(raw: unknown): void {
    const parsed = WorkerRequestSchema.safeParse(raw);
    if (!parsed.success) {
      this.fail(requestIdOf(raw), { code: 'invalid-input', message: `The worker received a malformed request: ${describeIssues(parsed.error)}` });
      return;
    }
    const request = parsed.data;
    switch (request.type) {
      case 'abort':
        // Handled at once, not queued: a load may wait on the generation it stops.
        this.running.get(request.requestId)?.controller.abort();
        return;
      case 'shutdown':
        for (const generation of this.running.values()) generation.controller.abort();
        void this.queue
          .then(() => this.generationsEnded())
          .then(() => this.release())
          .catch(() => {}) // exiting anyway: the OS frees what release could not
          .finally(() => this.exit());
        return;
      case 'load':
        this.enqueue(() => this.load(request));
        return;
      case 'generate':
        if ([...this.running.values()].some((running) => running.conversationId === request.conversationId)) {
          this.fail(request.requestId, { code: 'busy', message: 'This conversation is already being answered; stop that reply first.' });
          return;
        }
        this.startGeneration(request.requestId, request.conversationId, (signal) => this.generate(request, signal));
        return;
      case 'complete':
        this.startGeneration(request.requestId, null, (signal) => this.complete(request, signal));
        return;
      case 'perplexity':
        this.enqueue(() => this.measurePerplexity(request));
        return;
    }
  }

  /** Queues work that needs the model to itself: it starts once the generations running now have ended. */
  private enqueue(work: () => Promise<void>): void {
    const afterGenerations = async () => {
      await this.generationsEnded();
      await work();
    };
    this.queue = this.queue.then(afterGenerations, afterGenerations);
  }

  private async generationsEnded(): Promise<void> {
    while (this.generations.size > 0) await Promise.all(this.generations);
  }

  /** Starts a generation once the load queued before it is done, beside the others running. */
  private startGeneration(requestId: string, conversationId: string | null, work: (signal: AbortSignal) => Promise<void>): void {
    const controller = new AbortController();
    this.running.set(requestId, { controller, conversationId });
    const run = this.queue
      .then(() => work(controller.signal))
      .catch(() => {}) // each generation reports its own failure
      .finally(() => {
        this.running.delete(requestId);
        this.generations.delete(run);
      });
    this.generations.add(run);
  }

  private async load(request: LoadModelRequest): Promise<void> {
    const started = performance.now();
    try {
      await this.release();
      const model = await openModel(request.modelDir, { executionProvider: request.device === 'gpu' ? 'webgpu' : 'cpu' });
      try {
        const tokenizer = await loadTokenizer(request.modelDir);
        const decoder = new BatchedDecoder(model);
        const completions = new CompletionRunner(model, tokenizer, await readSamplingDefaults(request.modelDir), decoder);
        this.loaded = { model, tokenizer, cache: new ConversationCache(model, tokenizer, decoder), completions, decoder };
      } catch (error) {
        await model.release();
        throw error;
      }
      this.post({
        type: 'loaded',
        requestId: request.requestId,
        device: request.device,
        memoryBytes: process.memoryUsage().rss,
        loadMs: performance.now() - started,
      });
    } catch (error) {
      this.fail(request.requestId, errorData(error));
    }
  }

  private async generate(request: GenerateRequest, signal: AbortSignal): Promise<void> {
    const loaded = this.loaded;
    if (!loaded) {
      this.fail(request.requestId, { code: 'model-load-failed', message: 'No model is loaded in the worker; load one before generating.' });
      return;
    }
    loaded.completions.disposeIdle();
    try {
      const turn = loaded.cache.answer(request, signal);
      for (;;) {
        const step = await turn.next();
        if (step.done) {
          this.post(generatedReply(request.requestId, step.value, step.value.dropped));
          return;
        }
        if (step.value.text !== '') this.post({ type: 'token', requestId: request.requestId, text: step.value.text });
      }
    } catch (error) {
      this.fail(request.requestId, errorData(error));
    }
  }

  private async complete(request: CompleteRequest, signal: AbortSignal): Promise<void> {
    const loaded = this.loaded;
    if (!loaded) {
      this.fail(request.requestId, { code: 'model-load-failed', message: 'No model is loaded in the worker; load one before generating.' });
      return;
    }
    loaded.cache.disposeIdle();
    try {
      const completion = loaded.completions.complete(request, signal);
      for (;;) {
        const step = await completion.next();
        if (step.done) {
          // A completion keeps its whole prompt: nothing is dropped to fit.
          this.post(generatedReply(request.requestId, step.value, { turns: 0, tokens: 0 }));
          return;
        }
        const { id, text, logprobs } = step.value;
        if (text !== '' || logprobs) {
          this.post({ type: 'completion-token', requestId: request.requestId, text, logprobs: logprobs ? loaded.completions.logprobsData(id, logprobs) : null });
        }
      }
    } catch (error) {
      this.fail(request.requestId, errorData(error));
    }
  }

  private async measurePerplexity(request: MeasurePerplexityRequest): Promise<void> {
    const loaded = this.loaded;
    if (!loaded) {
      this.fail(request.requestId, { code: 'model-load-failed', message: 'No model is loaded in the worker; load one before measuring it.' });
      return;
    }
    try {
      const result = await textPerplexity(loaded.model, loaded.tokenizer, request.text);
      this.post({ type: 'perplexity-measured', requestId: request.requestId, perplexity: result.perplexity, nll: result.nll, tokens: result.tokens });
    } catch (error) {
      this.fail(request.requestId, errorData(error));
    }
  }

  private async release(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = null;
    if (!loaded) return;
    loaded.cache.dispose();
    loaded.completions.dispose();
    loaded.decoder.dispose();
    await loaded.model.release();
  }

  private fail(requestId: string | null, error: WorkerError): void {
    this.post({ type: 'failed', requestId, error });
  }
}

/** The 'generated' reply that ends a chat turn or a completion. */
function generatedReply(
  requestId: string,
  result: Pick<GenerationResult, 'ids' | 'text' | 'tokensPerSecond' | 'ttftMs' | 'promptTokens' | 'stopReason'> & { reusedTokens: number },
  dropped: GenerationStats['dropped'],
): GenerationDone {
  return {
    type: 'generated',
    requestId,
    text: result.text,
    stats: {
      tokens: result.ids.length,
      tokensPerSecond: result.tokensPerSecond,
      ttftMs: Number.isFinite(result.ttftMs) ? result.ttftMs : null,
      promptTokens: result.promptTokens,
      reusedTokens: result.reusedTokens,
      dropped,
      stopReason: result.stopReason,
    },
  };
}

/** An engine error as data, with the code the host and the UI branch on. */
export function errorData(error: unknown): WorkerError {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ExecutionProviderError) return { code: 'webgpu-failed', message };
  if (error instanceof ModelLoadError || error instanceof TokenizerLoadError) return { code: 'model-load-failed', message };
  if (error instanceof ContextOverflowError || error instanceof ContextFullError) return { code: 'context-overflow', message };
  if (error instanceof PerplexityInputError || error instanceof CompletionInputError || error instanceof ChatTemplateError || error instanceof ResponseFormatError) {
    return { code: 'invalid-input', message };
  }
  return { code: 'internal', message };
}
