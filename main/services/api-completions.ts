// Completions for the OpenAI-compatible API (/v1 on the web shell's server): resolves the model
// id, gets the model ready on the chat's own path (built and loaded as needed), and generates in
// the inference worker, streaming each token to the caller.
//
// One reply at a time, app-wide, for now: API requests wait their turn in a queue (first come,
// first served), behind a reply the app's chat is writing, instead of failing with 'busy'; while
// one runs, the app's chat is told what Hearth is doing. Continuous batching will replace this
// queue with concurrent sequences in the worker.
import { ApiError } from '../common/contracts/api-error.ts';
import type { ResponseFormat } from '../common/contracts/response-format.ts';
import type { Store } from '../store/store.ts';
import { DEFAULT_CONTEXT_LENGTH } from '../engine/runtime/cached-sequence.ts';
import type { CompletionPrompt, CompletionSampling, GenerationStats, TokenLogprobsData } from '../worker/worker-protocol.ts';
import { listApiModels, resolveApiModel, type ApiModelEntry } from './api-model-ids.ts';
import type { ChatService } from './chat-service.ts';
import type { TokenListener } from './engine-host.ts';
import { loadModelForReply, type ModelLoaderDependencies } from './model-loader.ts';

export type { CompletionPrompt, CompletionSampling, TokenLogprobsData, TokenListener };

export interface ApiCompletionRequest {
  /** A model id as listApiModels gives it, a library id, or a name with '@precision'. */
  model: string;
  prompt: CompletionPrompt;
  sampling: CompletionSampling;
  /** How many alternatives to report with each token's logprob; null: no logprobs. */
  logprobs: number | null;
  /** OpenAI's response_format: JSON replies enforced while decoding; absent is free text. */
  responseFormat?: ResponseFormat;
}

export type ApiFinishReason = 'stop' | 'length';

export interface ApiCompletionResult {
  text: string;
  finishReason: ApiFinishReason;
  promptTokens: number;
  completionTokens: number;
  stats: GenerationStats;
}

export interface ApiCompletionsDependencies extends ModelLoaderDependencies {
  chat: ChatService;
}

export class ApiCompletions {
  private readonly dependencies: ApiCompletionsDependencies;
  private readonly store: Store;
  /** Settles when the last request queued so far is done: the next one waits on it. */
  private queueTail: Promise<void> = Promise.resolve();
  /** The model of the request being answered now, or null. */
  private runningModelId: string | null = null;

  constructor(dependencies: ApiCompletionsDependencies) {
    this.dependencies = dependencies;
    this.store = dependencies.store;
  }

  listModels(): ApiModelEntry[] {
    return listApiModels(this.store);
  }

  /** Throws ApiError 'not-found' for a model the library does not have (checked before queueing). */
  checkModel(model: string): void {
    resolveApiModel(this.store, model);
  }

  /** What the API is doing, for the app's chat and the library (a model in use cannot be deleted), or null. */
  busyReason(modelId?: string): string | null {
    if (this.runningModelId === null || (modelId !== undefined && modelId !== this.runningModelId)) return null;
    return 'answering a request to its local OpenAI-compatible server';
  }

  /**
   * Generates the reply, calling `onToken` with each piece (and its logprobs when asked for). An
   * abort (the client went away) ends it early, also while it waits its turn.
   */
  async complete(request: ApiCompletionRequest, onToken: TokenListener, signal: AbortSignal): Promise<ApiCompletionResult> {
    const target = resolveApiModel(this.store, request.model);
    return this.inTurn(signal, async () => {
      const { store, chat, engine } = this.dependencies;
      await chat.whenIdle();
      this.runningModelId = target.modelId;
      try {
        const model = store.models.get(target.modelId);
        if (!model) throw new ApiError('not-found', `The model '${request.model}' was deleted while the request waited.`);
        const ready = await loadModelForReply(this.dependencies, {
          modelId: target.modelId,
          precision: target.precision,
          contextLength: Math.min(model.contextLength, DEFAULT_CONTEXT_LENGTH),
          adapterId: null,
          cancelled: () => signal.aborted,
        });
        if (!ready || signal.aborted) throw new ApiError('invalid-input', 'The client closed the request.');
        const generation = engine.complete({ prompt: request.prompt, sampling: request.sampling, logprobs: request.logprobs, responseFormat: request.responseFormat }, onToken);
        const abort = () => generation.abort();
        signal.addEventListener('abort', abort, { once: true });
        try {
          const { text, stats } = await generation.done;
          return {
            text,
            finishReason: stats.stopReason === 'max-tokens' || stats.stopReason === 'context-full' ? 'length' : 'stop',
            promptTokens: stats.promptTokens,
            completionTokens: stats.tokens,
            stats,
          };
        } finally {
          signal.removeEventListener('abort', abort);
        }
      } finally {
        this.runningModelId = null;
      }
    });
  }

  /** Runs `work` after every request queued before it; a request aborted while waiting never runs. */
  private async inTurn<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    const previous = this.queueTail;
    let release!: () => void;
    this.queueTail = new Promise<void>((resolve) => (release = resolve));
    try {
      await previous;
      if (signal.aborted) throw new ApiError('invalid-input', 'The client closed the request before its turn came.');
      return await work();
    } finally {
      release();
    }
  }
}
