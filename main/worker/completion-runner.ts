// The worker's side of an API completion (the OpenAI-compatible /v1 server): renders the prompt
// (a conversation through the chat template, system messages folded in where the template
// refuses them, or raw text with BOS as HF tokenizes it), keeps the KV of the previous
// completion's prompt where the new one shares a prefix (a client resending a growing
// conversation prefills only its new turn), and generates with the request's sampling over the
// model's generation_config defaults. Requests run at once, each in a sequence of its own whose
// decode steps a BatchedDecoder batches with the others'; the sequence of the last one to end is
// kept for the next (its prompt's KV), at the model's default context.
import { BatchedDecoder } from '../engine/runtime/batched-decoder.ts';
import type { CachedSequence } from '../engine/runtime/cached-sequence.ts';
import { commonPrefixLength, replyStopTokenIds } from '../engine/runtime/chat-turns.ts';
import { ContextOverflowError } from '../engine/runtime/context-overflow.ts';
import { generateInSequence, type GenerationOptions, type GenerationResult, type TokenEvent } from '../engine/runtime/generate.ts';
import type { LoadedModel } from '../engine/runtime/model-session.ts';
import type { SamplingDefaults } from '../engine/runtime/sampling-defaults.ts';
import type { TokenLogprobs } from '../engine/runtime/token-logprobs.ts';
import { templateEndOfTurnTokenId } from '../engine/tokenizer/end-of-turn-token.ts';
import { chatPromptIds } from '../engine/tokenizer/chat-prompt-ids.ts';
import type { TextTokenizer } from '../engine/tokenizer/text-tokenizer.ts';
import type { CompleteRequest, CompletionPrompt, TokenLogprobsData } from './worker-protocol.ts';

/** OpenAI's defaults, under the model's generation_config values and the request's own. */
const OPENAI_SAMPLING: Required<SamplingDefaults> = { temperature: 1, topP: 1, topK: 0, minP: 0, repetitionPenalty: 1 };

export interface CompletionResult extends GenerationResult {
  /** Prompt tokens whose KV the previous completion left in the cache. */
  reusedTokens: number;
}

export class CompletionRunner {
  private readonly model: LoadedModel;
  private readonly tokenizer: TextTokenizer;
  private readonly samplingDefaults: SamplingDefaults;
  private readonly endOfTurnTokenId: number | null;
  private readonly decoder: BatchedDecoder;
  /** The sequence of the last completion that ended, kept for a next prompt that shares its prefix. */
  private kept: CachedSequence | null = null;
  /** Sequences generating now. */
  private readonly running = new Set<CachedSequence>();

  constructor(model: LoadedModel, tokenizer: TextTokenizer, samplingDefaults: SamplingDefaults, decoder: BatchedDecoder = new BatchedDecoder(model)) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.samplingDefaults = samplingDefaults;
    this.endOfTurnTokenId = templateEndOfTurnTokenId(tokenizer);
    this.decoder = decoder;
  }

  /** Completions generating now. */
  get active(): number {
    return this.running.size;
  }

  /** The prompt's token ids, as the reply's usage counts them. */
  promptIds(prompt: CompletionPrompt): number[] {
    if (prompt.kind === 'text') return this.tokenizer.encode(prompt.text);
    if (!this.tokenizer.hasChatTemplate) {
      throw new CompletionInputError(`${this.tokenizer.origin} has no chat template (a base model): use /v1/completions with a text prompt for it.`);
    }
    return chatPromptIds(this.tokenizer, prompt.messages, prompt.tools);
  }

  async *complete(request: CompleteRequest, signal?: AbortSignal): AsyncGenerator<TokenEvent, CompletionResult, void> {
    const ids = this.promptIds(request.prompt);
    const sequence = this.kept ?? this.decoder.openSequence();
    this.kept = null;
    this.running.add(sequence);
    try {
      return yield* this.completeIn(sequence, ids, request, signal);
    } finally {
      this.running.delete(sequence);
      this.keep(sequence);
    }
  }

  /** The last sequence to end stays for the next request; one kept meanwhile is freed. */
  private keep(sequence: CachedSequence): void {
    this.kept?.dispose();
    this.kept = sequence;
  }

  private async *completeIn(sequence: CachedSequence, ids: number[], request: CompleteRequest, signal?: AbortSignal): AsyncGenerator<TokenEvent, CompletionResult, void> {
    if (ids.length === 0) throw new CompletionInputError('The prompt is empty and this tokenizer adds no BOS token to start from; send some text.');
    if (ids.length >= sequence.capacity) {
      throw new ContextOverflowError(`The prompt is ${ids.length} tokens, but the context holds ${sequence.capacity} (the reply included): shorten the prompt.`);
    }
    const shared = Math.min(commonPrefixLength(sequence.tokens, ids), ids.length - 1);
    const reusedTokens = sequence.truncate(shared);
    const { sampling } = request;
    const options: GenerationOptions = {
      ...OPENAI_SAMPLING,
      ...this.samplingDefaults,
      ...definedOnly({
        temperature: sampling.temperature,
        topP: sampling.topP,
        topK: sampling.topK,
        minP: sampling.minP,
        repetitionPenalty: sampling.repetitionPenalty,
      }),
      frequencyPenalty: sampling.frequencyPenalty ?? 0,
      presencePenalty: sampling.presencePenalty ?? 0,
      seed: sampling.seed,
      stop: sampling.stop,
      maxNewTokens: Math.min(sampling.maxTokens ?? Infinity, sequence.capacity - ids.length),
      eosTokenIds: this.stopTokenIds(request.prompt.kind),
      logprobs: request.logprobs ?? undefined,
      responseFormat: request.responseFormat,
    };
    const result = yield* generateInSequence(sequence, this.tokenizer, ids.slice(reusedTokens), options, signal);
    return { ...result, reusedTokens };
  }

  /**
   * The tokens that end a reply: the model's EOS list, the tokenizer's EOS and, for a chat, the
   * template's end of turn (which generation_config may not list: Llama 3's base configs, Gemma's).
   */
  stopTokenIds(kind: CompletionPrompt['kind']): number[] {
    return replyStopTokenIds(this.model.spec.eosTokenIds, this.tokenizer.eosTokenId, kind === 'chat' ? this.endOfTurnTokenId : null);
  }

  /** A token's logprobs as the protocol carries them: ids turned into their text and bytes. */
  logprobsData(id: number, logprobs: TokenLogprobs): TokenLogprobsData {
    return { ...this.tokenEntry(id, logprobs.logprob), top: logprobs.top.map((t) => this.tokenEntry(t.id, t.logprob)) };
  }

  private tokenEntry(id: number, logprob: number): TokenLogprobsData['top'][number] {
    const token = this.tokenizer.decode([id]);
    return { token, bytes: [...Buffer.from(token, 'utf8')], logprob };
  }

  /** Frees the kept KV cache (the app's chat needs the memory); the next completion makes a new one. */
  disposeIdle(): void {
    this.kept?.dispose();
    this.kept = null;
  }

  /** Frees every sequence, those generating too (the model is going away). */
  dispose(): void {
    this.disposeIdle();
    for (const sequence of this.running) sequence.dispose();
    this.running.clear();
  }
}

/** A prompt the model cannot start from. */
export class CompletionInputError extends Error {
  override name = 'CompletionInputError';
}

function definedOnly<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}
