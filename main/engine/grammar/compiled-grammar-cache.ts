// Compiles a response format into xgrammar's CompiledGrammar for one tokenizer, and keeps it:
// compiling walks the whole vocabulary (tens to hundreds of milliseconds at 150k tokens), while a
// client sending the same schema with every request should pay that once. Keyed by the tokenizer
// (and the width of the model's logits) and by the grammar the format asks for.
//
// A schema xgrammar cannot handle makes it abort (see xgrammar-module.ts): the error names the
// problem from xgrammar's own message, and the instance is replaced, with everything compiled in
// it, before the next compile. Matchers made earlier keep their own instance alive and unaffected.
import type { CompiledGrammar, GrammarCompiler, GrammarMatcher } from '@mlc-ai/web-xgrammar';
import type { ResponseFormat } from '../../common/contracts/response-format.ts';
import type { TextTokenizer } from '../tokenizer/text-tokenizer.ts';
import type { TokenByteEncoding } from '../tokenizer/vocabulary-format.ts';
import { jsonObjectGrammar } from './json-object-grammar.ts';
import { loadXGrammarInstance, type XGrammarInstance } from './xgrammar-module.ts';

/** A response format that is constrained (not 'text'). */
export type ConstrainedFormat = Exclude<ResponseFormat, { type: 'text' }>;

/** The response format cannot be turned into a grammar: names the problem and what to change. */
export class ResponseFormatError extends Error {
  override name = 'ResponseFormatError';
}

/** Compiled grammars kept across requests, least recently used dropped first. */
const DEFAULT_CAPACITY = 32;

/** xgrammar's names for the vocabulary encodings. */
const XGRAMMAR_VOCAB_TYPE: Record<TokenByteEncoding, string> = { 'byte-level': 'byte_level', 'byte-fallback': 'byte_fallback', raw: 'raw' };

/**
 * How JSON may be laid out. Any whitespace would let a model that has never seen JSON (the
 * demo model) spend its whole budget on spaces and newlines between two tokens, so at most
 * this many whitespace characters may stand together; indentation still fits.
 */
const MAX_WHITESPACE_RUN = 12;

interface Compiled {
  grammar: CompiledGrammar;
  instance: XGrammarInstance;
}

export class CompiledGrammarCache {
  private instance: XGrammarInstance | null = null;
  /** Per instance: a compiler per tokenizer and logits width (building one decodes the whole vocabulary). */
  private compilers = new WeakMap<TextTokenizer, Map<number, Promise<GrammarCompiler>>>();
  private readonly grammars = new Map<string, Compiled>();
  private readonly tokenizerIds = new WeakMap<TextTokenizer, number>();
  private nextTokenizerId = 0;
  private readonly capacity: number;

  constructor(options: { capacity?: number } = {}) {
    this.capacity = options.capacity ?? DEFAULT_CAPACITY;
  }

  /** Grammars compiled so far and still kept (for tests and diagnostics). */
  get size(): number {
    return this.grammars.size;
  }

  /**
   * A matcher for one generation: the format's grammar over `tokenizer`'s vocabulary, with
   * `vocabSize` the width of the model's logits (may exceed the tokenizer's: padding is never
   * allowed) and `stopTokenIds` the tokens that end the reply once the grammar is complete.
   */
  async createMatcher(tokenizer: TextTokenizer, vocabSize: number, format: ConstrainedFormat, stopTokenIds: readonly number[]): Promise<GrammarMatcher> {
    if (stopTokenIds.length === 0) {
      throw new ResponseFormatError('Structured output needs an end-of-sequence token to end the reply, and this generation has none (ignore-EOS is on, or the model names none).');
    }
    const { grammar, instance } = await this.compiled(tokenizer, vocabSize, format);
    return instance.api.GrammarMatcher.createGrammarMatcher(grammar, [...stopTokenIds]);
  }

  private async compiled(tokenizer: TextTokenizer, vocabSize: number, format: ConstrainedFormat): Promise<Compiled> {
    const key = `${this.tokenizerId(tokenizer)}:${vocabSize}:${grammarKey(format)}`;
    const cached = this.grammars.get(key);
    if (cached) {
      // Map order is insertion order: re-inserting marks it most recently used.
      this.grammars.delete(key);
      this.grammars.set(key, cached);
      return cached;
    }
    const instance = this.currentInstance();
    const compiler = await this.compiler(instance, tokenizer, vocabSize);
    let grammar: CompiledGrammar;
    try {
      grammar = await compileFormat(compiler, format);
    } catch (error) {
      throw this.replaceAfterFailure(instance, error, format);
    }
    const entry = { grammar, instance };
    this.grammars.set(key, entry);
    if (this.grammars.size > this.capacity) {
      const [oldestKey, oldest] = this.grammars.entries().next().value as [string, Compiled];
      this.grammars.delete(oldestKey);
      // A matcher holds its own reference to the grammar inside xgrammar, so this frees nothing in use.
      oldest.grammar.dispose();
    }
    return entry;
  }

  private currentInstance(): XGrammarInstance {
    this.instance ??= loadXGrammarInstance();
    return this.instance;
  }

  private compiler(instance: XGrammarInstance, tokenizer: TextTokenizer, vocabSize: number): Promise<GrammarCompiler> {
    let byWidth = this.compilers.get(tokenizer);
    if (!byWidth) this.compilers.set(tokenizer, (byWidth = new Map()));
    let compiler = byWidth.get(vocabSize);
    if (!compiler) {
      compiler = createCompiler(instance, tokenizer, vocabSize);
      byWidth.set(vocabSize, compiler);
      // A failed build is not kept: the next request tries again.
      compiler.catch(() => byWidth.delete(vocabSize));
    }
    return compiler;
  }

  /** The error to throw for a failed compile; an instance that aborted is dropped with all it compiled. */
  private replaceAfterFailure(instance: XGrammarInstance, error: unknown, format: ConstrainedFormat): Error {
    const output = instance.takeOutput();
    // Emscripten's abort() throws a WebAssembly.RuntimeError "Aborted(…)".
    if (!(error instanceof Error && error.message.startsWith('Aborted('))) {
      return error instanceof Error ? error : new Error(String(error));
    }
    if (this.instance === instance) {
      this.instance = null;
      this.compilers = new WeakMap();
      for (const [key, entry] of this.grammars) {
        if (entry.instance === instance) this.grammars.delete(key);
      }
    }
    const reason = fatalReason(output);
    const what = format.type === 'json_schema' ? `The JSON schema "${format.json_schema.name}"` : 'The JSON grammar';
    return new ResponseFormatError(
      `${what} cannot be used for structured output: ${reason ?? 'the grammar compiler refused it'}. ` +
        'Use the JSON Schema keywords xgrammar supports (type, properties, required, items, enum, const, anyOf, $ref, pattern, min/max…) and check the schema is valid.',
    );
  }

  private tokenizerId(tokenizer: TextTokenizer): number {
    let id = this.tokenizerIds.get(tokenizer);
    if (id === undefined) this.tokenizerIds.set(tokenizer, (id = this.nextTokenizerId++));
    return id;
  }
}

/** The part of a format that decides the grammar (a schema's name and description do not). */
function grammarKey(format: ConstrainedFormat): string {
  if (format.type === 'json_object' || format.json_schema.schema === undefined) return 'json';
  // Property order is kept: it is the order the reply writes them in.
  return `schema:${JSON.stringify(format.json_schema.schema)}`;
}

function compileFormat(compiler: GrammarCompiler, format: ConstrainedFormat): Promise<CompiledGrammar> {
  const schema = format.type === 'json_schema' ? format.json_schema.schema : undefined;
  if (schema === undefined) return compiler.compileGrammar(jsonObjectGrammar(MAX_WHITESPACE_RUN));
  // Whitespace anywhere JSON allows it, in runs of at most MAX_WHITESPACE_RUN (indent and
  // separators then only matter as defaults), and strict mode: no properties or items beyond the
  // schema's, which is what OpenAI's strict mode means.
  return compiler.compileJSONSchema(JSON.stringify(schema), true, undefined, undefined, true, MAX_WHITESPACE_RUN);
}

async function createCompiler(instance: XGrammarInstance, tokenizer: TextTokenizer, vocabSize: number): Promise<GrammarCompiler> {
  const { byteEncoding, prependsSpace } = tokenizer.vocabularyFormat;
  const info = await instance.api.TokenizerInfo.createTokenizerInfo(
    encodedVocabulary(tokenizer, vocabSize),
    XGRAMMAR_VOCAB_TYPE[byteEncoding],
    prependsSpace,
    vocabSize,
    // Stop tokens are given per matcher (a chat also stops at its template's end-of-turn token).
    [],
  );
  try {
    // xgrammar's own cache is off: this class is the cache, and it can drop what it no longer keeps.
    return await instance.api.GrammarCompiler.createGrammarCompiler(info, false);
  } finally {
    info.dispose();
  }
}

/**
 * Every token's string as the vocabulary stores it, by id. Special tokens (end of turn, tool-call
 * markers…) are given as "", which xgrammar never allows inside the grammar: their text is not
 * what they mean, and the end-of-sequence ones are allowed as stop tokens per matcher.
 */
function encodedVocabulary(tokenizer: TextTokenizer, vocabSize: number): string[] {
  const size = Math.min(tokenizer.vocabSize, vocabSize);
  const vocabulary = new Array<string>(size);
  for (let id = 0; id < size; id++) vocabulary[id] = tokenizer.specialTokenIds.has(id) ? '' : (tokenizer.idToToken(id) ?? '');
  return vocabulary;
}

/** The message of xgrammar's "[FATAL] /path/file.cc:123: message" line, without the location. */
function fatalReason(output: readonly string[]): string | null {
  const fatal = [...output].reverse().find((line) => line.includes('[FATAL]'));
  if (!fatal) return null;
  const message = fatal
    .replace(/^.*?\[FATAL\]\s*\S+:\d+:\s*/, '')
    .replace(/^Check failed: \(.*?\) is false:\s*/, '')
    .replace(/\.+$/, '');
  // Long schemas are echoed back in full; the start says what is wrong.
  return message.length > 400 ? `${message.slice(0, 400)}…` : message;
}
