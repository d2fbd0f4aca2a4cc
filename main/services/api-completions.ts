// Completions for the OpenAI-compatible API (/v1 on the web shell's server): resolves the model
// id, gets the model ready on the chat's own path (built and loaded as needed), and generates in
// the inference worker, streaming each token to the caller.
//
// Requests for the model in use run at once, beside the app's chat replies with it: the worker
// batches their decode steps (engine/runtime/batched-decoder.ts), so a second request does not
// wait for the first to end. A request for another model waits until the replies using the
// loaded one have ended (the engine's ReplyGate), and the app's chat is told why while it runs.
import { ApiError } from '../common/contracts/api-error.ts';
import type { ApiEvent } from '../common/contracts/events.ts';
import type { ResponseFormat } from '../common/contracts/response-format.ts';
import type { Store } from '../store/store.ts';
import { DEFAULT_CONTEXT_LENGTH } from '../engine/runtime/cached-sequence.ts';
import type { CompletionPrompt, CompletionSampling, GenerationStats, TokenLogprobsData } from '../worker/worker-protocol.ts';
import { listApiModels, resolveApiModel, type ApiModelEntry } from './api-model-ids.ts';
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

export type ApiCompletionsDependencies = ModelLoaderDependencies;

/** A build of the requested model's variant moved (its model.build event), while a request waits for it. */
export type BuildProgress = Extract<ApiEvent, { type: 'model.build' }>;
export type BuildProgressListener = (progress: BuildProgress) => void;

export class ApiCompletions {
  private readonly dependencies: ApiCompletionsDependencies;
  private readonly store: Store;
  /** The models of the requests being answered now, with how many use each. */
  private readonly running = new Map<string, number>();

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

  /** Whether requests use the model now, for the library (a model in use cannot be deleted): why, or null. */
  busyReason(modelId: string): string | null {
    return this.running.has(modelId) ? 'answering a request to its local OpenAI-compatible server' : null;
  }

  /** Why the app's chat cannot answer with `modelId` now: requests use another model. */
  otherModelReason(modelId: string): string | null {
    for (const running of this.running.keys()) {
      if (running !== modelId) return 'answering a request to its local OpenAI-compatible server with another model';
    }
    return null;
  }

  /**
   * Generates the reply, calling `onToken` with each piece (and its logprobs when asked for). An
   * abort (the client went away) ends it early, also while it waits for another model's replies.
   * `onBuildProgress` hears the build of the model's variant while the request waits for it.
   */
  async complete(request: ApiCompletionRequest, onToken: TokenListener, signal: AbortSignal, onBuildProgress?: BuildProgressListener): Promise<ApiCompletionResult> {
    const target = resolveApiModel(this.store, request.model);
    if (signal.aborted) throw new ApiError('invalid-input', 'The client closed the request before it started.');
    const { store, engine } = this.dependencies;
    this.running.set(target.modelId, (this.running.get(target.modelId) ?? 0) + 1);
    try {
      const model = store.models.get(target.modelId);
      if (!model) throw new ApiError('not-found', `The model '${request.model}' was deleted while the request waited.`);
      const stopHearing = onBuildProgress
        ? this.dependencies.bus.subscribe((event) => {
            if (event.type === 'model.build' && event.modelId === target.modelId && (target.precision === null || event.precision === target.precision)) onBuildProgress(event);
          })
        : () => {};
      const ready = await loadModelForReply(this.dependencies, {
        modelId: target.modelId,
        precision: target.precision,
        contextLength: Math.min(model.contextLength, DEFAULT_CONTEXT_LENGTH),
        adapterId: null,
        cancelled: () => signal.aborted,
        signal,
      }).catch((error: unknown) => {
        if (signal.aborted) throw new ApiError('invalid-input', 'The client closed the request while it waited for the model.');
        throw error;
      }).finally(stopHearing);
      if (!ready) throw new ApiError('invalid-input', 'The client closed the request.');
      try {
        if (signal.aborted) throw new ApiError('invalid-input', 'The client closed the request.');
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
        ready.release();
      }
    } finally {
      const left = (this.running.get(target.modelId) ?? 1) - 1;
      if (left === 0) this.running.delete(target.modelId);
      else this.running.set(target.modelId, left);
    }
  }
}
