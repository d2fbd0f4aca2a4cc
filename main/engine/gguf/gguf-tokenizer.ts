// Rebuilds a Hugging Face tokenizer (tokenizer.json and the tokenizer_config.json fields Hearth
// reads) from a GGUF file's `tokenizer.ggml.*` metadata, so that a GGUF model tokenizes through
// the same TextTokenizer as a Hugging Face folder, and a GGUF build's output folder carries the
// same two files. The rules follow llama.cpp's vocabulary loader (llama-vocab.cpp), since the
// file's metadata means what llama.cpp makes of it:
// - model "gpt2": byte-level BPE from tokens and merges; `tokenizer.ggml.pre` names the split
//   regexes that run before the byte mapping.
// - model "llama": SentencePiece. llama.cpp tokenizes it by repeatedly merging the adjacent pair
//   whose concatenation is the vocabulary entry of highest score, falling back to <0xNN> byte
//   tokens, after replacing spaces with ▁ and putting one in front of each run of text. That is a
//   BPE whose merges are every split of every entry, ranked by the entry's score, with byte
//   fallback — which is how transformers' LlamaTokenizerFast expresses the same tokenizer.
// Control and user-defined entries become added tokens (special and not), matched on the raw
// text before anything else, as both llama.cpp and Hugging Face do.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TokenizerLoadError, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE } from '../tokenizer/load-tokenizer.ts';
import { TextTokenizer } from '../tokenizer/text-tokenizer.ts';
import type { TokenizerConfigJson } from '../tokenizer/text-tokenizer.ts';

/** A GGUF file's metadata: key to value, as the reader returns it or as a plain object. */
export type GgufMetadata = ReadonlyMap<string, unknown> | Readonly<Record<string, unknown>>;

/** The GGUF's tokenizer metadata is missing, malformed, or of a kind Hearth cannot rebuild. */
export class GgufTokenizerError extends TokenizerLoadError {
  override name = 'GgufTokenizerError';
}

/** What a GGUF's tokenizer becomes: the contents of an HF tokenizer folder, and the ids a runtime needs. */
export interface GgufTokenizerFiles {
  /** tokenizer.json, as @huggingface/tokenizers (and the Rust library) read it. */
  tokenizerJson: Record<string, unknown>;
  /** tokenizer_config.json: special tokens, add_bos_token/add_eos_token, chat_template. */
  config: TokenizerConfigJson;
  /** The default chat template (`tokenizer.chat_template`), or null when the file has none. */
  chatTemplate: string | null;
  specialTokenIds: GgufSpecialTokenIds;
  /** Tokens that end generation, as llama.cpp decides them (eos, eot, eom and the end-of-turn tokens it knows by name). */
  endOfGenerationIds: number[];
}

export interface GgufSpecialTokenIds {
  bos: number | null;
  eos: number | null;
  eot: number | null;
  eom: number | null;
  pad: number | null;
  unk: number | null;
}

const KEY = {
  model: 'tokenizer.ggml.model',
  pre: 'tokenizer.ggml.pre',
  tokens: 'tokenizer.ggml.tokens',
  tokenType: 'tokenizer.ggml.token_type',
  scores: 'tokenizer.ggml.scores',
  merges: 'tokenizer.ggml.merges',
  bos: 'tokenizer.ggml.bos_token_id',
  eos: 'tokenizer.ggml.eos_token_id',
  eot: 'tokenizer.ggml.eot_token_id',
  eom: 'tokenizer.ggml.eom_token_id',
  unk: 'tokenizer.ggml.unknown_token_id',
  pad: 'tokenizer.ggml.padding_token_id',
  addBos: 'tokenizer.ggml.add_bos_token',
  addEos: 'tokenizer.ggml.add_eos_token',
  addSpacePrefix: 'tokenizer.ggml.add_space_prefix',
  chatTemplate: 'tokenizer.chat_template',
} as const;

/** llama.cpp's token types (llama_token_type), as `tokenizer.ggml.token_type` stores them. */
const TokenType = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

/** SentencePiece's word-boundary mark, which stands for a space in its vocabulary. */
const SPACE_MARK = '\u2581';

/**
 * Tokens llama.cpp treats as ending generation by their text alone, whatever the ids say
 * (llama-vocab.cpp's end-of-generation list, restricted to the families Hearth builds).
 */
const END_OF_GENERATION_TEXTS = ['<|eot_id|>', '<|im_end|>', '<|end|>', '<end_of_turn>', '<|endoftext|>', '<|eom_id|>', '<EOT>', '<|end_of_text|>'];
/**
 * The texts llama.cpp takes as the end-of-turn token when `tokenizer.ggml.eot_token_id` is absent.
 * It takes whichever its hash map meets first; here the earlier in this list wins, so a chat
 * vocabulary's turn end (<|im_end|>) is preferred over its document end (<|endoftext|>).
 */
const END_OF_TURN_TEXTS = ['<|eot_id|>', '<|im_end|>', '<|end|>', '<end_of_turn>', '<|endoftext|>', '<|end_of_text|>', '<EOT>'];

// ---- pre-tokenizers ----------------------------------------------------------------------------

/** GPT-2's split: contractions, letters, digits, other symbols, whitespace runs (ByteLevel's own regex). */
const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
/** Llama 3's split (tokenizer.json of Meta-Llama-3): digits in threes, case-insensitive contractions. */
const LLAMA3_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/** Qwen2's split: as Llama 3's, but every digit alone. */
const QWEN2_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/** BLOOM's split: runs up to whitespace or punctuation, a leading space kept. */
const BLOOM_PATTERN = ' ?[^(\\s|.,!?…。，、।۔،)]+';

interface BpePreTokenization {
  preTokenizer: Record<string, unknown>;
  normalizer: Record<string, unknown> | null;
  /** Words that are whole vocabulary entries skip the merges (llama.cpp's ignore_merges). */
  ignoreMerges: boolean;
  /** llama.cpp's add_bos default for this pre-tokenizer, before `tokenizer.ggml.add_bos_token`. */
  addBos: boolean;
}

function byteLevel(useRegex: boolean): Record<string, unknown> {
  return { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: useRegex };
}

/**
 * Regexes applied in turn, each splitting further what the ones before left, matches and the text
 * between them alike (llama.cpp's unicode_regex_split; Hugging Face's Split with Isolated), then
 * the byte-level mapping of each piece.
 */
function splitsThenBytes(...patterns: string[]): Record<string, unknown> {
  return {
    type: 'Sequence',
    pretokenizers: [...patterns.map((pattern) => ({ type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false })), byteLevel(false)],
  };
}

const GPT2_FAMILY: BpePreTokenization = { preTokenizer: byteLevel(true), normalizer: null, ignoreMerges: false, addBos: false };
const LLAMA3_FAMILY: BpePreTokenization = { preTokenizer: splitsThenBytes(LLAMA3_PATTERN), normalizer: null, ignoreMerges: true, addBos: true };
// Qwen's tokenizer.json composes text to NFC first; llama.cpp skips that, which differs only on decomposed input.
const QWEN2_FAMILY: BpePreTokenization = { preTokenizer: splitsThenBytes(QWEN2_PATTERN), normalizer: { type: 'NFC' }, ignoreMerges: false, addBos: false };

/** `tokenizer.ggml.pre` values and the pre-tokenization llama.cpp gives each (llama-vocab.cpp). */
const BPE_PRE_TOKENIZERS: ReadonlyMap<string, BpePreTokenization> = new Map<string, BpePreTokenization>([
  // llama.cpp's fallback when the converter did not recognise the tokenizer.
  ['default', { preTokenizer: splitsThenBytes('[\\p{P}\\$\\+<=>\\^~\\|]+', GPT2_PATTERN, '\\p{N}+', '[0-9][0-9][0-9]'), normalizer: null, ignoreMerges: false, addBos: false }],
  ...['gpt-2', 'phi-2', 'mpt', 'olmo', 'jais', 'jina-es', 'jina-de', 'jina-v2-es', 'jina-v2-de', 'gigachat', 'exaone4', 'trillion', 'granite-docling', 'a.x-4.0', 'mellum', 'modern-bert'].map(
    (name) => [name, GPT2_FAMILY] as const,
  ),
  ...['llama3', 'llama-v3', 'llama-bpe', 'falcon3', 'falcon-h1', 'pixtral', 'midm-2.0', 'lfm2'].map((name) => [name, LLAMA3_FAMILY] as const),
  ...['dbrx', 'smaug-bpe'].map((name) => [name, { ...LLAMA3_FAMILY, ignoreMerges: false, addBos: false }] as const),
  ...['qwen2', 'deepseek-r1-qwen', 'kormo', 'f2llmv2', 'megrez'].map((name) => [name, QWEN2_FAMILY] as const),
  ['stablelm2', { ...QWEN2_FAMILY, normalizer: null }],
  ...['starcoder', 'refact', 'command-r', 'smollm', 'codeshell', 'exaone', 'minerva-7b'].map(
    (name) => [name, { preTokenizer: splitsThenBytes('\\p{N}', GPT2_PATTERN), normalizer: null, ignoreMerges: false, addBos: false }] as const,
  ),
  ['falcon', { preTokenizer: splitsThenBytes('[\\p{P}\\$\\+<=>\\^~\\|`]+', GPT2_PATTERN, '[0-9][0-9][0-9]'), normalizer: null, ignoreMerges: false, addBos: false }],
  ...['bloom', 'poro-chat', 'gpt3-finnish'].map((name) => [name, { preTokenizer: splitsThenBytes(BLOOM_PATTERN), normalizer: null, ignoreMerges: false, addBos: false }] as const),
  ['viking', { preTokenizer: splitsThenBytes(BLOOM_PATTERN, '\\p{N}'), normalizer: null, ignoreMerges: false, addBos: false }],
]);

// ---- reading the metadata ----------------------------------------------------------------------

class MetadataReader {
  constructor(
    private readonly metadata: GgufMetadata,
    readonly origin: string,
  ) {}

  get(key: string): unknown {
    return this.metadata instanceof Map ? (this.metadata as ReadonlyMap<string, unknown>).get(key) : (this.metadata as Readonly<Record<string, unknown>>)[key];
  }

  fail(problem: string): never {
    throw new GgufTokenizerError(`${this.origin}: ${problem}`);
  }

  optionalString(key: string): string | null {
    const value = this.get(key);
    if (value === undefined) return null;
    if (typeof value !== 'string') this.fail(`metadata "${key}" should be a string; it is ${describe(value)}. The file is damaged.`);
    return value;
  }

  optionalBoolean(key: string): boolean | null {
    const value = this.get(key);
    if (value === undefined) return null;
    if (typeof value !== 'boolean') this.fail(`metadata "${key}" should be a boolean; it is ${describe(value)}. The file is damaged.`);
    return value;
  }

  optionalId(key: string, tokenCount: number): number | null {
    const value = this.get(key);
    if (value === undefined) return null;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      this.fail(`metadata "${key}" should be a token id; it is ${describe(value)}. The file is damaged.`);
    }
    // llama.cpp ignores an id past the vocabulary (with a warning) rather than refusing the model.
    return value < tokenCount ? value : null;
  }

  stringArray(key: string): string[] | null {
    const value = this.get(key);
    if (value === undefined) return null;
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
      this.fail(`metadata "${key}" should be an array of strings; it is ${describe(value)}. The file is damaged.`);
    }
    return value as string[];
  }

  numberArray(key: string, minLength: number): number[] | null {
    const value = this.get(key);
    if (value === undefined) return null;
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'number')) {
      this.fail(`metadata "${key}" should be an array of numbers; it is ${describe(value)}. The file is damaged.`);
    }
    if (value.length < minLength) this.fail(`metadata "${key}" has ${value.length} entries for ${minLength} tokens. The file is damaged.`);
    return value as number[];
  }

  /** `tokenizer.chat_template.NAME` entries: the named templates beside the default one. */
  namedChatTemplates(): { name: string; template: string }[] {
    const prefix = `${KEY.chatTemplate}.`;
    const keys = this.metadata instanceof Map ? [...(this.metadata as ReadonlyMap<string, unknown>).keys()] : Object.keys(this.metadata);
    return keys
      .filter((key) => key.startsWith(prefix))
      .map((key) => ({ name: key.slice(prefix.length), template: this.optionalString(key)! }));
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}${value.length > 0 ? ` starting with ${describe(value[0])}` : ''}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

// ---- the rebuild -------------------------------------------------------------------------------

interface Vocabulary {
  tokens: string[];
  types: number[];
  /** A Map: property lookups on a plain object of a quarter-million fresh strings are several times slower. */
  ids: Map<string, number>;
}

function readVocabulary(reader: MetadataReader): Vocabulary {
  const raw = reader.stringArray(KEY.tokens);
  if (raw === null || raw.length === 0) reader.fail(`has no vocabulary (metadata "${KEY.tokens}" is missing or empty). The file is incomplete; download it again.`);
  const types = reader.numberArray(KEY.tokenType, raw.length) ?? raw.map(() => TokenType.normal);
  const ids = new Map<string, number>();
  const tokens = raw.map((token, id) => {
    // llama.cpp renames empty entries so that every id has a distinct text.
    const text = token === '' ? `[EMPTY_${id}]` : token;
    const earlier = ids.get(text);
    if (earlier !== undefined) reader.fail(`the vocabulary holds ${JSON.stringify(text)} twice (ids ${earlier} and ${id}). The file is damaged.`);
    ids.set(text, id);
    return text;
  });
  return { tokens, types, ids };
}

/** tokenizer.json's vocab object; null-prototype, so that a token spelt "__proto__" is an entry like any other. */
function vocabJson(vocabulary: Vocabulary): Record<string, number> {
  const vocab = Object.create(null) as Record<string, number>;
  vocabulary.tokens.forEach((token, id) => (vocab[token] = id));
  return vocab;
}

/** Control, unknown and user-defined entries, matched on the raw text before normalization. */
function addedTokens(vocabulary: Vocabulary): Record<string, unknown>[] {
  const added: Record<string, unknown>[] = [];
  vocabulary.types.forEach((type, id) => {
    if (id >= vocabulary.tokens.length) return;
    if (type !== TokenType.control && type !== TokenType.unknown && type !== TokenType.userDefined) return;
    added.push({
      id,
      content: vocabulary.tokens[id],
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: type !== TokenType.userDefined,
    });
  });
  return added;
}

/** `tokenizer.ggml.merges` ("left right", split at the first space after the first character). */
function readMerges(reader: MetadataReader, vocabulary: Vocabulary): [string, string][] {
  const raw = reader.stringArray(KEY.merges);
  if (raw === null) reader.fail(`is a byte-level BPE tokenizer (tokenizer.ggml.model "gpt2") without merges (metadata "${KEY.merges}"). The file is incomplete; download it again.`);
  const merges: [string, string][] = [];
  for (const merge of raw) {
    const at = merge.indexOf(' ', 1);
    if (at < 0) reader.fail(`merge ${JSON.stringify(merge)} in "${KEY.merges}" is not two tokens separated by a space. The file is damaged.`);
    const pair: [string, string] = [merge.slice(0, at), merge.slice(at + 1)];
    // A merge whose result is not in the vocabulary can never apply; llama.cpp keeps it inert too.
    if (vocabulary.ids.has(pair[0] + pair[1])) merges.push(pair);
  }
  return merges;
}

/**
 * SentencePiece as llama.cpp runs it, as BPE merges: every split of every entry into two parts
 * that can each be a symbol while merging (an entry, or a single character, which is a symbol
 * from the start even when the vocabulary lacks it), ranked by the entry's score, highest first.
 * llama.cpp breaks ties between equal scores by position, Hugging Face's BPE by rank; the entry
 * id decides the rank here, which agrees wherever scores are distinct (as SentencePiece's BPE
 * vocabularies have them).
 */
function sentencePieceMerges(vocabulary: Vocabulary, scores: readonly number[]): [string, string][] {
  const candidates: { left: string; right: string; score: number; id: number }[] = [];
  vocabulary.tokens.forEach((token, id) => {
    const chars = Array.from(token);
    let left = '';
    for (let i = 0; i < chars.length - 1; i++) {
      left += chars[i];
      const right = token.slice(left.length);
      const leftIsSymbol = i === 0 || vocabulary.ids.has(left);
      const rightIsSymbol = i === chars.length - 2 || vocabulary.ids.has(right);
      if (leftIsSymbol && rightIsSymbol) candidates.push({ left, right, score: scores[id] ?? 0, id });
    }
  });
  candidates.sort((a, b) => b.score - a.score || a.id - b.id);
  return candidates.map(({ left, right }) => [left, right]);
}

/** Adds BOS and/or EOS around each sequence, as transformers builds Llama's post-processor from add_bos/add_eos. */
function templateProcessing(bos: string | null, eos: string | null, ids: ReadonlyMap<string, number>): Record<string, unknown> {
  const special = (token: string) => ({ SpecialToken: { id: token, type_id: 0 } });
  const sequence = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });
  const around = (item: Record<string, unknown>) => [...(bos === null ? [] : [special(bos)]), item, ...(eos === null ? [] : [special(eos)])];
  const specialTokens: Record<string, unknown> = {};
  for (const token of [bos, eos]) if (token !== null) specialTokens[token] = { id: token, ids: [ids.get(token)], tokens: [token] };
  return {
    type: 'TemplateProcessing',
    single: around(sequence('A', 0)),
    pair: [...around(sequence('A', 0)), ...around(sequence('B', 1))],
    special_tokens: specialTokens,
  };
}

function readSpecialTokenIds(reader: MetadataReader, vocabulary: Vocabulary, isSentencePiece: boolean): GgufSpecialTokenIds {
  const count = vocabulary.tokens.length;
  // llama.cpp's defaults for a SentencePiece vocabulary: <unk> 0, <s> 1, </s> 2.
  const fallback = (id: number) => (isSentencePiece && id < count ? id : null);
  const eot = reader.optionalId(KEY.eot, count) ?? firstWithText(vocabulary, END_OF_TURN_TEXTS);
  return {
    bos: reader.optionalId(KEY.bos, count) ?? fallback(1),
    eos: reader.optionalId(KEY.eos, count) ?? fallback(2),
    eot,
    eom: reader.optionalId(KEY.eom, count) ?? firstWithText(vocabulary, ['<|eom_id|>']),
    pad: reader.optionalId(KEY.pad, count),
    unk: reader.optionalId(KEY.unk, count) ?? fallback(0),
  };
}

/** The id of the first of `texts` (in the list's order of preference) the vocabulary holds. */
function firstWithText(vocabulary: Vocabulary, texts: readonly string[]): number | null {
  for (const text of texts) {
    const id = vocabulary.ids.get(text);
    if (id !== undefined) return id;
  }
  return null;
}

/**
 * Rebuilds the tokenizer a GGUF file describes. `origin` (the file's path) names it in errors.
 * Throws GgufTokenizerError for a missing or damaged vocabulary, an unknown tokenizer model or
 * pre-tokenizer, and add-BOS/EOS flags without the token to add.
 */
export function tokenizerFromGgufMetadata(metadata: GgufMetadata, origin: string): GgufTokenizerFiles {
  const reader = new MetadataReader(metadata, origin);
  const model = reader.optionalString(KEY.model);
  if (model === null) reader.fail(`has no tokenizer (metadata "${KEY.model}" is missing). Hearth needs one to turn text into tokens; use a GGUF that includes its vocabulary.`);
  if (model !== 'gpt2' && model !== 'llama') {
    reader.fail(
      `uses tokenizer model "${model}" (${KEY.model}); Hearth rebuilds "gpt2" (byte-level BPE, as Llama 3, Qwen and GPT-2 use) and "llama" (SentencePiece, as Llama 2, Mistral, Gemma and Phi-3 use).`,
    );
  }
  const isSentencePiece = model === 'llama';
  const vocabulary = readVocabulary(reader);
  const ids = readSpecialTokenIds(reader, vocabulary, isSentencePiece);
  const text = (id: number | null) => (id === null ? null : vocabulary.tokens[id]!);

  let pre: BpePreTokenization | null = null;
  if (!isSentencePiece) {
    // llama.cpp warns and falls back to "default" when the converter wrote no pre-tokenizer.
    const preName = reader.optionalString(KEY.pre) ?? 'default';
    pre = BPE_PRE_TOKENIZERS.get(preName) ?? null;
    if (pre === null) {
      reader.fail(
        `uses pre-tokenizer "${preName}" (${KEY.pre}), which Hearth does not know, so it cannot split text as the model expects. ` +
          `Known: ${[...BPE_PRE_TOKENIZERS.keys()].join(', ')}.`,
      );
    }
  }

  const addBos = reader.optionalBoolean(KEY.addBos) ?? (isSentencePiece ? true : pre!.addBos);
  const addEos = reader.optionalBoolean(KEY.addEos) ?? false;
  if (addBos && ids.bos === null) reader.fail(`asks for a BOS token before every text (${KEY.addBos}) but names none (${KEY.bos}). The file is damaged.`);
  if (addEos && ids.eos === null) reader.fail(`asks for an EOS token after every text (${KEY.addEos}) but names none (${KEY.eos}). The file is damaged.`);
  const bosEosProcessor = addBos || addEos ? templateProcessing(addBos ? text(ids.bos) : null, addEos ? text(ids.eos) : null, vocabulary.ids) : null;

  let tokenizerModel: Record<string, unknown>;
  let normalizer: Record<string, unknown> | null;
  let preTokenizer: Record<string, unknown> | null;
  let postProcessor: Record<string, unknown> | null;
  let decoder: Record<string, unknown>;
  if (isSentencePiece) {
    const scores = reader.numberArray(KEY.scores, vocabulary.tokens.length) ?? vocabulary.tokens.map(() => 0);
    const addSpacePrefix = reader.optionalBoolean(KEY.addSpacePrefix) ?? true;
    tokenizerModel = {
      type: 'BPE',
      dropout: null,
      unk_token: text(ids.unk),
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab: vocabJson(vocabulary),
      merges: sentencePieceMerges(vocabulary, scores),
    };
    // Each run of text between added tokens gets its leading ▁, as llama.cpp prefixes a space after every special token.
    const replaceSpaces = { type: 'Replace', pattern: { String: ' ' }, content: SPACE_MARK };
    normalizer = { type: 'Sequence', normalizers: addSpacePrefix ? [{ type: 'Prepend', prepend: SPACE_MARK }, replaceSpaces] : [replaceSpaces] };
    preTokenizer = null;
    postProcessor = bosEosProcessor;
    decoder = {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: SPACE_MARK }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        ...(addSpacePrefix ? [{ type: 'Strip', content: ' ', start: 1, stop: 0 }] : []),
      ],
    };
  } else {
    tokenizerModel = {
      type: 'BPE',
      dropout: null,
      unk_token: text(ids.unk),
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: pre!.ignoreMerges,
      vocab: vocabJson(vocabulary),
      merges: readMerges(reader, vocabulary),
    };
    normalizer = pre!.normalizer;
    preTokenizer = pre!.preTokenizer;
    const byteLevelProcessor = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true };
    postProcessor = bosEosProcessor === null ? byteLevelProcessor : { type: 'Sequence', processors: [byteLevelProcessor, bosEosProcessor] };
    decoder = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  }

  const tokenizerJson: Record<string, unknown> = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens(vocabulary),
    normalizer,
    pre_tokenizer: preTokenizer,
    post_processor: postProcessor,
    decoder,
    model: tokenizerModel,
  };

  const chatTemplate = reader.optionalString(KEY.chatTemplate);
  const named = reader.namedChatTemplates();
  const config: TokenizerConfigJson = {
    tokenizer_class: isSentencePiece ? 'LlamaTokenizerFast' : 'PreTrainedTokenizerFast',
    bos_token: text(ids.bos),
    eos_token: text(ids.eos),
    pad_token: text(ids.pad),
    unk_token: text(ids.unk),
    // Only a true flag is written: Hearth's tokenizer strips a leading BOS when add_bos_token is
    // false, which llama.cpp never does.
    ...(addBos ? { add_bos_token: true } : {}),
    ...(addEos ? { add_eos_token: true } : {}),
    clean_up_tokenization_spaces: false,
    ...(named.length > 0
      ? { chat_template: [...(chatTemplate === null ? [] : [{ name: 'default', template: chatTemplate }]), ...named] }
      : chatTemplate === null
        ? {}
        : { chat_template: chatTemplate }),
  };

  const endOfGeneration = new Set<number>();
  for (const id of [ids.eos, ids.eot, ids.eom]) if (id !== null) endOfGeneration.add(id);
  for (const name of END_OF_GENERATION_TEXTS) {
    const id = vocabulary.ids.get(name);
    if (id !== undefined) endOfGeneration.add(id);
  }

  return {
    tokenizerJson,
    config,
    chatTemplate: chatTemplate ?? named.find((t) => t.name === 'default')?.template ?? null,
    specialTokenIds: ids,
    endOfGenerationIds: [...endOfGeneration].sort((a, b) => a - b),
  };
}

/** The GGUF's tokenizer, ready to encode, decode and apply the chat template. */
export function textTokenizerFromGguf(metadata: GgufMetadata, origin: string): TextTokenizer {
  const files = tokenizerFromGgufMetadata(metadata, origin);
  try {
    return new TextTokenizer({ tokenizerJson: files.tokenizerJson, config: files.config, chatTemplate: files.chatTemplate, origin });
  } catch (error) {
    if (error instanceof TokenizerLoadError) throw error;
    throw new GgufTokenizerError(`${origin}: the tokenizer rebuilt from its tokenizer.ggml metadata could not be loaded: ${(error as Error).message}`, { cause: error });
  }
}

/** Writes tokenizer.json and tokenizer_config.json into `dir`, so it loads as a Hugging Face tokenizer folder does. */
export async function writeGgufTokenizerFiles(files: GgufTokenizerFiles, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, TOKENIZER_FILE), JSON.stringify(files.tokenizerJson));
  await writeFile(join(dir, TOKENIZER_CONFIG_FILE), `${JSON.stringify(files.config, null, 1)}\n`);
}
