// The generation loop: prefill the prompt keeping only the last position's logits, then one
// token per step through the KV cache, sampling each from the last row. Yields every token
// with the text it completes (never half a UTF-8 character, never part of a stop string) and
// returns the whole result, with timings, when it stops.
import { isConstrainedFormat, type ResponseFormat } from '../../common/contracts/response-format.ts';
import { GrammarConstraint } from '../grammar/grammar-constraint.ts';
import type { TextTokenizer } from '../tokenizer/text-tokenizer.ts';
import { StreamingDetokenizer } from '../tokenizer/streaming-detokenizer.ts';
import { CachedSequence } from './cached-sequence.ts';
import { ContextFullError } from './kv-cache.ts';
import type { KvCacheKind } from './kv-cache.ts';
import type { LoadedModel } from './model-session.ts';
import { sampleNextToken } from './sampler.ts';
import { SeededRandom } from './seeded-random.ts';
import { StopStringMatcher } from './stop-strings.ts';
import { tokenLogprobs, type TokenLogprobs } from './token-logprobs.ts';

export interface GenerationOptions {
  /** Default 256. */
  maxNewTokens?: number;
  /** 0 is greedy. Defaults follow Hugging Face's generate(): 1. */
  temperature?: number;
  /** 0 is off. Default 50. */
  topK?: number;
  /** 1 is off. Default 1. */
  topP?: number;
  /** 0 is off. Default 0. */
  minP?: number;
  /** 1 is off. Default 1. */
  repetitionPenalty?: number;
  /** OpenAI's penalties over the generated tokens (see SamplingParams); 0 is off. Default 0. */
  frequencyPenalty?: number;
  presencePenalty?: number;
  /** When set, each token event carries its log-probability and this many most likely alternatives (0: none). */
  logprobs?: number;
  /** Same seed, same prompt, same options: same tokens. Default: a random seed (reported in the result). */
  seed?: number;
  /** Text that ends the reply; it is not part of the returned text. */
  stop?: readonly string[];
  /** Default: the model's (from generation_config.json). */
  eosTokenIds?: readonly number[];
  /** Keep going past end-of-sequence tokens (benchmarks, conformance tests). */
  ignoreEos?: boolean;
  /** Prompt tokens per model call while prefilling; bounds memory and lets an abort land between calls. Default 512. */
  prefillChunk?: number;
  /**
   * JSON replies, enforced while decoding (engine/grammar): each token is sampled among those the
   * grammar allows, and the reply ends at an end-of-sequence token once the JSON is complete.
   * Needs a tokenizer; a schema xgrammar cannot use throws ResponseFormatError. Default: free text.
   */
  responseFormat?: ResponseFormat;
}

/** Options for a sequence generate() creates itself. */
export interface StandaloneGenerationOptions extends GenerationOptions {
  /** Tokens the sequence may hold (prompt + reply); see CachedSequence. */
  contextLength?: number;
  cache?: KvCacheKind;
}

export interface TokenEvent {
  id: number;
  /** Text this token completes; '' while a character or a possible stop string is unfinished. */
  text: string;
  /** Present when the options asked for logprobs. */
  logprobs?: TokenLogprobs;
}

export type StopReason = 'eos' | 'stop-string' | 'max-tokens' | 'aborted' | 'context-full';

export interface GenerationResult {
  /** Generated ids, the end-of-sequence or stop-string token included. */
  ids: number[];
  /** The reply: special tokens left out, cut before a stop string. */
  text: string;
  stopReason: StopReason;
  /** Tokens in the sequence before generation (cached ones included). */
  promptTokens: number;
  /** Prompt start to first token, in ms (NaN when no token came). */
  ttftMs: number;
  /** Tokens per second over the decode steps (first token excluded); 0 with fewer than 2 tokens. */
  tokensPerSecond: number;
  /** Time each token took: the first is the TTFT, then each decode step. */
  perTokenMs: number[];
  seed: number;
}

export const DEFAULT_MAX_NEW_TOKENS = 256;
const DEFAULT_PREFILL_CHUNK = 512;

/** Generates after `promptIds` in a sequence of its own, released at the end. */
export async function* generate(
  model: LoadedModel,
  tokenizer: TextTokenizer | null,
  promptIds: readonly number[],
  options: StandaloneGenerationOptions = {},
  signal?: AbortSignal,
): AsyncGenerator<TokenEvent, GenerationResult, void> {
  const sequence = new CachedSequence(model, { contextLength: options.contextLength, cache: options.cache });
  try {
    return yield* generateInSequence(sequence, tokenizer, promptIds, options, signal);
  } finally {
    sequence.dispose();
  }
}

/**
 * Feeds `newIds` after what `sequence` already caches (a chat's earlier turns), then
 * generates. The sequence keeps every token it was fed; the last generated token is not fed.
 */
export async function* generateInSequence(
  sequence: CachedSequence,
  tokenizer: TextTokenizer | null,
  newIds: readonly number[],
  options: GenerationOptions = {},
  signal?: AbortSignal,
): AsyncGenerator<TokenEvent, GenerationResult, void> {
  const started = performance.now();
  const maxNewTokens = options.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) throw new RangeError(`maxNewTokens must be a whole number, got ${maxNewTokens}.`);
  if (newIds.length === 0) throw new RangeError('generate needs at least one new prompt token (the logits come from the last one fed).');
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  const random = new SeededRandom(seed);
  const eos = new Set(options.ignoreEos ? [] : (options.eosTokenIds ?? sequence.model.spec.eosTokenIds));
  const sampling = {
    temperature: options.temperature ?? 1,
    topK: options.topK ?? 50,
    topP: options.topP ?? 1,
    minP: options.minP ?? 0,
    repetitionPenalty: options.repetitionPenalty ?? 1,
    frequencyPenalty: options.frequencyPenalty ?? 0,
    presencePenalty: options.presencePenalty ?? 0,
  };
  const detokenizer = tokenizer ? new StreamingDetokenizer(tokenizer) : null;
  const stopMatcher = new StopStringMatcher(options.stop ?? []);
  const prefillChunk = options.prefillChunk ?? DEFAULT_PREFILL_CHUNK;
  // Before the prompt is fed, so a schema that cannot be used fails at once.
  const grammar = isConstrainedFormat(options.responseFormat)
    ? await GrammarConstraint.create(tokenizerForGrammar(tokenizer), options.responseFormat, { vocabSize: sequence.model.spec.vocabSize, stopTokenIds: [...eos] })
    : null;

  const ids: number[] = [];
  const perTokenMs: number[] = [];
  let text = '';
  const promptTokens = sequence.length + newIds.length;
  const finish = (stopReason: StopReason): GenerationResult => {
    // Every return goes through here; on a throw the matcher is freed when collected.
    grammar?.dispose();
    const decodeMs = perTokenMs.slice(1).reduce((sum, ms) => sum + ms, 0);
    return {
      ids,
      text,
      stopReason,
      promptTokens,
      ttftMs: perTokenMs.length > 0 ? perTokenMs[0] : Number.NaN,
      tokensPerSecond: perTokenMs.length > 1 && decodeMs > 0 ? ((perTokenMs.length - 1) * 1000) / decodeMs : 0,
      perTokenMs,
      seed,
    };
  };
  /** The text a token completes, after the detokenizer and the stop-string matcher; `last` flushes both. */
  const textOf = (id: number, last: boolean): { text: string; stopped: boolean } => {
    let piece = detokenizer ? detokenizer.push(id) : '';
    if (last && detokenizer) piece += detokenizer.flush();
    const matched = stopMatcher.push(piece);
    const out = matched.text + (last && !matched.stopped ? stopMatcher.flush() : '');
    return { text: out, stopped: matched.stopped };
  };

  if (sequence.length + newIds.length > sequence.capacity) {
    throw new ContextFullError(
      `The prompt needs ${sequence.length + newIds.length} tokens but the context holds ${sequence.capacity}: shorten the prompt or open a longer context.`,
    );
  }
  let logits: Float32Array | null = null;
  for (let at = 0; at < newIds.length; at += prefillChunk) {
    if (signal?.aborted) return finish('aborted');
    logits = await sequence.feed(newIds.slice(at, at + prefillChunk), 'last');
  }
  let stepStarted = started;
  while (logits !== null && ids.length < maxNewTokens) {
    const recentIds = sampling.repetitionPenalty === 1 ? [] : sequence.tokens;
    const params = { ...sampling, recentIds, generatedIds: ids };
    const id = grammar
      ? await grammar.next(logits, Math.min(maxNewTokens - ids.length, sequence.capacity - sequence.length + 1), (row) => sampleNextToken(row, params, random))
      : sampleNextToken(logits, params, random);
    const logprobs = options.logprobs === undefined ? undefined : tokenLogprobs(logits, id, options.logprobs);
    ids.push(id);
    const now = performance.now();
    perTokenMs.push(now - stepStarted);
    stepStarted = now;

    const isEos = eos.has(id);
    const isLast = isEos || ids.length === maxNewTokens || sequence.length >= sequence.capacity;
    const piece = textOf(id, isLast);
    text += piece.text;
    yield logprobs ? { id, text: piece.text, logprobs } : { id, text: piece.text };
    if (piece.stopped) return finish('stop-string');
    if (isEos) return finish('eos');
    if (ids.length === maxNewTokens) return finish('max-tokens');
    if (sequence.length >= sequence.capacity) return finish('context-full');
    if (signal?.aborted) return finishAborted();
    stepStarted = performance.now();
    logits = await sequence.feed([id], 'last');
  }
  return finish(maxNewTokens === 0 ? 'max-tokens' : 'aborted');

  /** Text held back for a possible stop string or an unfinished character still belongs to the reply. */
  function finishAborted(): GenerationResult {
    text += stopMatcher.push(detokenizer ? detokenizer.flush() : '').text + stopMatcher.flush();
    return finish('aborted');
  }
}

function tokenizerForGrammar(tokenizer: TextTokenizer | null): TextTokenizer {
  if (tokenizer === null) throw new RangeError('A response format needs the model\'s tokenizer: the grammar is matched against token text.');
  return tokenizer;
}

/** Runs a generation to its end, calling `onToken` for each token, and returns its result. */
export async function collectGeneration<Result extends GenerationResult>(
  generation: AsyncGenerator<TokenEvent, Result, void>,
  onToken?: (event: TokenEvent) => void,
): Promise<Result> {
  for (;;) {
    const step = await generation.next();
    if (step.done) return step.value;
    onToken?.(step.value);
  }
}
