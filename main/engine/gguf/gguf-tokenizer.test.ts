import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readGgufHeader } from './gguf-file.ts';
import { GgufTokenizerError, textTokenizerFromGguf, tokenizerFromGgufMetadata, writeGgufTokenizerFiles } from './gguf-tokenizer.ts';
import { loadTokenizer } from '../tokenizer/load-tokenizer.ts';
import { StreamingDetokenizer } from '../tokenizer/streaming-detokenizer.ts';
import type { TextTokenizer } from '../tokenizer/text-tokenizer.ts';

const sharedFixtures = fileURLToPath(new URL('../../../../shared/fixtures/', import.meta.url));
const ggufDir = join(sharedFixtures, 'gguf');
const originalDir = join(sharedFixtures, 'shakespeare-5m');
const skip =
  existsSync(join(ggufDir, 'reference.json')) && existsSync(join(originalDir, 'tokenizer.json'))
    ? false
    : `GGUF fixtures (${ggufDir}) or the original tokenizer (${originalDir}) not found: ../shared is absent`;

function ggufFiles(): string[] {
  return readdirSync(ggufDir)
    .filter((name) => name.endsWith('.gguf'))
    .sort();
}

interface TokenizerReference {
  encodings: { text: string; ids: number[]; decoded: string }[];
  chat: { messages: { role: string; content: string }[]; add_generation_prompt: boolean; text: string; ids: number[] };
}

/** Texts beyond the reference list: whitespace runs, digits, contractions, specials mid-text, bytes of every width. */
const MORE_TEXTS = [
  'a',
  ' ',
  '   ',
  '\n',
  '\r\n\r\n',
  ' \t \n  \n',
  'trailing spaces   ',
  '   leading spaces',
  "I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL",
  '0 1 12 123 1234 12345 123456 3.3 3..3 3...3 1,000,000',
  '!!!!!!?????? ......  ------======= """""" ```````',
  'Thou art more lovely and more temperate:\nRough winds do shake the darling buds of May,',
  'нещо на Български, Ελληνικά, עברית, العربية, हिन्दी, 한국어, ไทย',
  '🚀 (normal) 😶‍🌫️ (multiple emojis concatenated) ✅ 🦙🦙',
  'e\u0301 (decomposed) é (composed) ﬁ ligature',
  '<|im_start|>assistant\nGood morrow<|im_end|>\n<|endoftext|>',
  'text<|im_end|>more text<|im_start|>',
  '<|im_start|',
  'tab\tafter\ttab\t\t\tand\u00a0no-break\u2009thin',
];

test('the rebuilt tokenizer encodes and decodes as the original tokenizer.json, for every GGUF fixture', { skip }, async () => {
  const original = await loadTokenizer(originalDir);
  const reference = JSON.parse(readFileSync(join(originalDir, 'tokenizer_reference.json'), 'utf8')) as TokenizerReference;
  const files = ggufFiles();
  assert.ok(files.length >= 5, `expected the five fixture files in ${ggufDir}`);
  for (const file of files) {
    const path = join(ggufDir, file);
    const rebuilt = textTokenizerFromGguf(readGgufHeader(path).metadata, path);
    for (const entry of reference.encodings) {
      assert.deepEqual(rebuilt.encode(entry.text), entry.ids, `${file}: encode ${JSON.stringify(entry.text)}`);
      assert.equal(rebuilt.decode(entry.ids), entry.decoded, `${file}: decode ${JSON.stringify(entry.text)}`);
    }
    for (const text of MORE_TEXTS) {
      const ids = original.encode(text);
      assert.deepEqual(rebuilt.encode(text), ids, `${file}: encode ${JSON.stringify(text)}`);
      assert.deepEqual(rebuilt.encode(text, { addSpecialTokens: false }), original.encode(text, { addSpecialTokens: false }));
      assert.equal(rebuilt.decode(ids), original.decode(ids), `${file}: decode ${JSON.stringify(text)}`);
      assert.equal(rebuilt.decode(ids, { skipSpecialTokens: true }), original.decode(ids, { skipSpecialTokens: true }));
    }
    assert.equal(rebuilt.vocabSize, original.vocabSize);
    for (let id = 0; id < original.vocabSize; id++) assert.equal(rebuilt.idToToken(id), original.idToToken(id), `${file}: token ${id}`);
    assert.deepEqual([...rebuilt.specialTokenIds].sort(), [...original.specialTokenIds].sort());
  }
});

test("llama.cpp's tokenization of the reference prompt is reproduced for every GGUF fixture", { skip }, () => {
  const reference = JSON.parse(readFileSync(join(ggufDir, 'reference.json'), 'utf8')) as { prompt: string; files: Record<string, { prompt_ids: number[] }> };
  for (const [file, entry] of Object.entries(reference.files)) {
    const path = join(ggufDir, file);
    const rebuilt = textTokenizerFromGguf(readGgufHeader(path).metadata, path);
    assert.deepEqual(rebuilt.encode(reference.prompt), entry.prompt_ids, file);
  }
});

test('the chat template comes from tokenizer.chat_template and renders the reference conversation to the same ids', { skip }, () => {
  const reference = JSON.parse(readFileSync(join(originalDir, 'tokenizer_reference.json'), 'utf8')) as TokenizerReference;
  const originalConfig = JSON.parse(readFileSync(join(originalDir, 'tokenizer_config.json'), 'utf8')) as { chat_template: string };
  const path = join(ggufDir, 'shakespeare-5m-q8_0.gguf');
  const files = tokenizerFromGgufMetadata(readGgufHeader(path).metadata, path);
  assert.equal(files.chatTemplate, originalConfig.chat_template);
  const rebuilt = textTokenizerFromGguf(readGgufHeader(path).metadata, path);
  const { chat } = reference;
  const options = { addGenerationPrompt: chat.add_generation_prompt };
  assert.equal(rebuilt.applyChatTemplate(chat.messages, options), chat.text);
  assert.deepEqual(rebuilt.encodeChat(chat.messages, options), chat.ids);
});

test('special ids, end-of-generation ids and the add-BOS flag follow the file as llama.cpp reads it', { skip }, () => {
  const path = join(ggufDir, 'shakespeare-5m-f32.gguf');
  const files = tokenizerFromGgufMetadata(readGgufHeader(path).metadata, path);
  assert.deepEqual(files.specialTokenIds, { bos: 0, eos: 2, eot: 2, eom: null, pad: 0, unk: null });
  // llama.cpp ends generation on <|endoftext|> (by its text) as well as on the eos <|im_end|>.
  assert.deepEqual(files.endOfGenerationIds, [0, 2]);
  assert.equal(files.config.eos_token, '<|im_end|>');
  assert.equal(files.config.bos_token, '<|endoftext|>');
  assert.equal(files.config.pad_token, '<|endoftext|>');
  // "gpt-2" adds no BOS, and no flag may strip a BOS the text itself begins with.
  assert.equal(files.config.add_bos_token, undefined);
  const rebuilt = textTokenizerFromGguf(readGgufHeader(path).metadata, path);
  assert.deepEqual(rebuilt.encode('<|endoftext|>Hello'), [0, 42, 411, 81]);
});

test('the written folder loads through the ordinary tokenizer loader and encodes the same', { skip }, async () => {
  const path = join(ggufDir, 'shakespeare-5m-q4_0.gguf');
  const files = tokenizerFromGgufMetadata(readGgufHeader(path).metadata, path);
  const dir = mkdtempSync(join(tmpdir(), 'hearth-gguf-tokenizer-'));
  try {
    await writeGgufTokenizerFiles(files, join(dir, 'out'));
    const loaded = await loadTokenizer(join(dir, 'out'));
    const original = await loadTokenizer(originalDir);
    for (const text of MORE_TEXTS) assert.deepEqual(loaded.encode(text), original.encode(text), JSON.stringify(text));
    assert.equal(loaded.eosTokenId, 2);
    assert.ok(loaded.hasChatTemplate);
    assert.equal(loaded.applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true }), '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- synthetic byte-level BPE: the pre-tokenizer table ----------------------------------------

/** GPT-2's byte-to-character table: printable Latin-1 maps to itself, the rest to U+0100 onwards. */
function byteLevelAlphabet(): string[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 256;
  return Array.from({ length: 256 }, (_, b) => String.fromCodePoint(printable(b) ? b : next++));
}

function byteLevelGguf(pre: string | undefined, extra: Record<string, unknown> = {}): Map<string, unknown> {
  const tokens = ['<|begin_of_text|>', '<|end_of_text|>', ...byteLevelAlphabet(), '12', '123', "'V", "'VE", 'Ġw', 'Ġwo', 'Ġwor', 'Ġworl', 'Ġworld'];
  const types = tokens.map((_, id) => (id < 2 ? 3 : 1));
  const metadata = new Map<string, unknown>([
    ['tokenizer.ggml.model', 'gpt2'],
    ['tokenizer.ggml.tokens', tokens],
    ['tokenizer.ggml.token_type', types],
    ['tokenizer.ggml.merges', ['1 2', '12 3', "' V", "'V E", 'Ġ w', 'Ġw o', 'Ġwo r', 'Ġwor l', 'Ġworl d']],
    ['tokenizer.ggml.bos_token_id', 0],
    ['tokenizer.ggml.eos_token_id', 1],
  ]);
  if (pre !== undefined) metadata.set('tokenizer.ggml.pre', pre);
  for (const [key, value] of Object.entries(extra)) metadata.set(key, value);
  return metadata;
}

function tokensOf(tokenizer: TextTokenizer, text: string): string[] {
  return tokenizer.encode(text).map((id) => tokenizer.idToToken(id)!);
}

test('tokenizer.ggml.pre picks the split: llama-bpe takes digits in threes and adds BOS, qwen2 splits every digit, gpt-2 keeps digit runs', () => {
  const llama3 = textTokenizerFromGguf(byteLevelGguf('llama-bpe'), 'llama3.gguf');
  const qwen2 = textTokenizerFromGguf(byteLevelGguf('qwen2'), 'qwen2.gguf');
  const gpt2 = textTokenizerFromGguf(byteLevelGguf('gpt-2'), 'gpt2.gguf');
  assert.deepEqual(tokensOf(llama3, '12345 world'), ['<|begin_of_text|>', '123', '4', '5', 'Ġworld']);
  assert.deepEqual(tokensOf(qwen2, '12345 world'), ['1', '2', '3', '4', '5', 'Ġworld']);
  assert.deepEqual(tokensOf(gpt2, '12345 world'), ['123', '4', '5', 'Ġworld']);
  // Contractions: case-insensitive in Llama 3's and Qwen2's regex, lower-case only in GPT-2's.
  assert.deepEqual(tokensOf(llama3, "I'VE"), ['<|begin_of_text|>', 'I', "'VE"]);
  assert.deepEqual(tokensOf(qwen2, "I'VE"), ['I', "'VE"]);
  assert.deepEqual(tokensOf(gpt2, "I'VE"), ['I', "'", 'V', 'E']);
  // A file without a pre-tokenizer gets llama.cpp's "default" split, which cuts digit runs in threes after the GPT-2 split.
  const fallback = textTokenizerFromGguf(byteLevelGguf(undefined), 'old.gguf');
  assert.deepEqual(tokensOf(fallback, '12345 world'), ['123', '4', '5', 'Ġworld']);
  assert.deepEqual(tokensOf(fallback, '123123'), ['123', '123']);
});

test('tokenizer.ggml.add_bos_token and add_eos_token override the pre-tokenizer default, and the config carries them', () => {
  const noBos = tokenizerFromGgufMetadata(byteLevelGguf('llama-bpe', { 'tokenizer.ggml.add_bos_token': false }), 'a.gguf');
  assert.equal(noBos.config.add_bos_token, undefined);
  const withoutBos = textTokenizerFromGguf(byteLevelGguf('llama-bpe', { 'tokenizer.ggml.add_bos_token': false }), 'a.gguf');
  const twelve = withoutBos.tokenToId('12')!;
  assert.deepEqual(withoutBos.encode('12'), [twelve]);
  const both = textTokenizerFromGguf(byteLevelGguf('gpt-2', { 'tokenizer.ggml.add_bos_token': true, 'tokenizer.ggml.add_eos_token': true }), 'b.gguf');
  assert.deepEqual(both.encode('12'), [0, twelve, 1]);
  assert.deepEqual(both.encode('12', { addSpecialTokens: false }), [twelve]);
  const files = tokenizerFromGgufMetadata(byteLevelGguf('gpt-2', { 'tokenizer.ggml.add_bos_token': true }), 'b.gguf');
  assert.equal(files.config.add_bos_token, true);
  assert.equal(files.config.bos_token, '<|begin_of_text|>');
  assert.deepEqual(files.endOfGenerationIds, [1]);
});

test('named chat templates are kept beside the default one', () => {
  const files = tokenizerFromGgufMetadata(
    byteLevelGguf('gpt-2', { 'tokenizer.chat_template': 'DEFAULT {{ messages[0].content }}', 'tokenizer.chat_template.tool_use': 'TOOLS' }),
    'c.gguf',
  );
  assert.equal(files.chatTemplate, 'DEFAULT {{ messages[0].content }}');
  assert.deepEqual(files.config.chat_template, [
    { name: 'default', template: 'DEFAULT {{ messages[0].content }}' },
    { name: 'tool_use', template: 'TOOLS' },
  ]);
});

test('bad tokenizer metadata is refused with a message naming the file and the problem', () => {
  const refuses = (metadata: Map<string, unknown>, pattern: RegExp) =>
    assert.throws(() => tokenizerFromGgufMetadata(metadata, '/models/x.gguf'), (error: unknown) => {
      assert.ok(error instanceof GgufTokenizerError);
      assert.match(error.message, /^\/models\/x\.gguf: /);
      assert.match(error.message, pattern);
      return true;
    });
  refuses(byteLevelGguf('tekken-9000'), /pre-tokenizer "tekken-9000".*Known: default, gpt-2/);
  refuses(byteLevelGguf('gpt-2', { 'tokenizer.ggml.model': 't5' }), /tokenizer model "t5".*"gpt2".*"llama"/);
  const noModel = byteLevelGguf('gpt-2');
  noModel.delete('tokenizer.ggml.model');
  refuses(noModel, /has no tokenizer/);
  const noMerges = byteLevelGguf('gpt-2');
  noMerges.delete('tokenizer.ggml.merges');
  refuses(noMerges, /without merges/);
  refuses(byteLevelGguf('gpt-2', { 'tokenizer.ggml.tokens': ['a', 'b', 'a'], 'tokenizer.ggml.token_type': [1, 1, 1] }), /holds "a" twice \(ids 0 and 2\)/);
  refuses(byteLevelGguf('gpt-2', { 'tokenizer.ggml.tokens': [1, 2, 3] }), /"tokenizer\.ggml\.tokens" should be an array of strings/);
  refuses(byteLevelGguf('gpt-2', { 'tokenizer.ggml.token_type': [1] }), /"tokenizer\.ggml\.token_type" has 1 entries/);
  refuses(byteLevelGguf('gpt-2', { 'tokenizer.ggml.bos_token_id': 'zero' }), /"tokenizer\.ggml\.bos_token_id" should be a token id/);
  const noBos = byteLevelGguf('llama-bpe');
  noBos.delete('tokenizer.ggml.bos_token_id');
  refuses(noBos, /asks for a BOS token.*names none/);
});

// ---- llama.cpp's own ids on a grown vocabulary ------------------------------------------------
// The fixture's vocabulary is too small for most splits to matter, so it is grown by merges that
// cross each pre-tokenizer's boundaries (digit runs, contractions, newlines after punctuation,
// space runs), and also rewritten as SentencePiece would hold it. The ids below are what
// llama.cpp (node-llama-cpp 3.21.1's, through ../shared/tools/llama-oracle) gave for these texts
// when each variant was written to a GGUF.

/** Merges added to the fixture's byte-level vocabulary so that each pre-tokenizer's split changes the result. */
const EXTRA_MERGES = ['1 2', '12 3', '123 4', '3 3', '33 3', 'Ġ 1', 'Ġ1 2', 'Ġ 3', 'Ġ3 3', 'Ġ Ġ', 'ĠĠ Ġ', 'Ċ Ċ', 'Ġ Ċ', 'ĉ ĉ', 'Ġ ĉ', '! !', '!! !', '? ?', '. .', '.. .', '- -', '-- -', '= =', 'Ġ (', "' V", "'V E", "' v", "'v e", "' R", "'R E", "' r", "'r e", ': Ċ', '? Ċ', '$ 1', '+ 1', '< =', ', Ġ', 'Ġ ,'];

/** The fixture's byte-level vocabulary, grown by EXTRA_MERGES, under the pre-tokenizer `pre`. */
function grownByteLevelGguf(fixture: ReadonlyMap<string, unknown>, pre: string): Map<string, unknown> {
  const tokens = [...(fixture.get('tokenizer.ggml.tokens') as string[])];
  const types = [...(fixture.get('tokenizer.ggml.token_type') as number[])];
  const merges = [...(fixture.get('tokenizer.ggml.merges') as string[])];
  const known = new Set(tokens);
  for (const merge of EXTRA_MERGES) {
    const [left, right] = merge.split(' ') as [string, string];
    if (!known.has(left + right)) {
      tokens.push(left + right);
      types.push(1);
      known.add(left + right);
    }
    if (!merges.includes(merge)) merges.push(merge);
  }
  return new Map<string, unknown>([...fixture].filter(([key]) => key.startsWith('tokenizer.ggml.')))
    .set('tokenizer.ggml.pre', pre)
    .set('tokenizer.ggml.tokens', tokens)
    .set('tokenizer.ggml.token_type', types)
    .set('tokenizer.ggml.merges', merges);
}

/**
 * The same grown vocabulary as SentencePiece would hold it: entries as text with ▁ for spaces,
 * bytes outside printable ASCII as <0xNN> byte entries, broken UTF-8 as unused, score -id.
 */
function sentencePieceFromByteLevel(grown: ReadonlyMap<string, unknown>): Map<string, unknown> {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const byteOf = new Map<string, number>();
  let next = 256;
  for (let b = 0; b < 256; b++) byteOf.set(String.fromCodePoint(printable(b) ? b : next++), b);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const types = grown.get('tokenizer.ggml.token_type') as number[];
  const tokens: string[] = [];
  const spmTypes: number[] = [];
  (grown.get('tokenizer.ggml.tokens') as string[]).forEach((token, id) => {
    const bytes = Uint8Array.from([...token].map((c) => byteOf.get(c)!));
    if (types[id] === 3) {
      tokens.push(token);
      spmTypes.push(3);
    } else if (bytes.length === 1 && !(bytes[0]! >= 0x20 && bytes[0]! < 0x7f)) {
      tokens.push(`<0x${bytes[0]!.toString(16).toUpperCase().padStart(2, '0')}>`);
      spmTypes.push(6);
    } else {
      try {
        tokens.push(utf8.decode(bytes).replaceAll(' ', '\u2581'));
        spmTypes.push(1);
      } catch {
        tokens.push(`[BROKEN_UTF8_${id}]`);
        spmTypes.push(5);
      }
    }
  });
  return new Map<string, unknown>([
    ['tokenizer.ggml.model', 'llama'],
    ['tokenizer.ggml.tokens', tokens],
    ['tokenizer.ggml.token_type', spmTypes],
    ['tokenizer.ggml.scores', tokens.map((_, id) => -id)],
    ['tokenizer.ggml.bos_token_id', 1],
    ['tokenizer.ggml.eos_token_id', 2],
    ['tokenizer.ggml.unknown_token_id', 0],
  ]);
}
const LLAMA_CPP_TEXTS = [
  '0 1 12 123 1234 12345 3.3 3...3 1,000 $100 +1 a<=b',
  "I've 'RE you sure? We'Ve a'lL",
  '\n\n\nROMEO:  What,   ho!\n\tJULIET:\n',
  'Unicode: café, 日本語 🙂!!!!',
];

const LLAMA_CPP_IDS: Record<string, string[]> = {
  "gpt-2": [
    '18,1029,223,1024,223,1025,223,1026,223,1026,23,1031,16,21,1031,1043,21,1029,14,18,18,18,223,6,19,18,18,223,13,19,261,1059,68',
    '43,9,296,442,52,39,291,399,267,33,605,71,9,56,71,261,9,78,46',
    '1035,201,860,28,223,223,464,14,1033,578,3,201,200,1009,28,201',
    '55,80,471,538,71,28,280,67,72,130,105,14,223,165,248,101,165,253,108,167,106,255,223,175,256,250,227,1039,1039',
  ],
  "llama-bpe": [
    '0,18,223,19,223,1024,223,1025,223,1025,22,223,1025,22,23,223,21,16,21,223,21,1043,21,223,19,14,18,18,18,223,6,19,18,18,223,13,19,261,1059,68',
    '0,43,1050,442,52,39,291,399,267,33,605,71,1047,71,261,9,78,46',
    '0,1035,201,860,28,223,223,464,14,1033,578,3,201,200,1009,1055',
    '0,55,80,471,538,71,28,280,67,72,130,105,14,223,165,248,101,165,253,108,167,106,255,223,175,256,250,227,1039,1039',
  ],
  "qwen2": [
    '18,223,19,223,19,20,223,19,20,21,223,19,20,21,22,223,19,20,21,22,23,223,21,16,21,223,21,1043,21,223,19,14,18,18,18,223,6,19,18,18,223,13,19,261,1059,68',
    '43,9,296,442,52,39,291,399,267,33,605,71,1047,71,261,9,78,46',
    '1035,201,860,28,223,223,464,14,1033,578,3,201,200,1009,1055',
    '55,80,471,538,71,28,280,67,72,130,105,14,223,165,248,101,165,253,108,167,106,255,223,175,256,250,227,1039,1039',
  ],
  "default": [
    '18,223,19,223,1024,223,1025,223,1025,22,223,1025,22,23,223,21,16,21,223,21,1043,21,223,19,14,18,18,18,223,6,19,18,18,223,13,19,261,1059,68',
    '43,9,296,223,9,52,39,291,399,267,33,605,71,9,56,71,261,9,78,46',
    '1035,201,860,28,223,223,464,14,1033,578,3,201,200,1009,28,201',
    '55,80,471,538,71,28,280,67,72,130,105,14,223,165,248,101,165,253,108,167,106,255,223,175,256,250,227,1039,1039',
  ],
  "starcoder": [
    '18,223,19,223,19,20,223,19,20,21,223,19,20,21,22,223,19,20,21,22,23,223,21,16,21,223,21,1043,21,223,19,14,18,18,18,223,6,19,18,18,223,13,19,261,1059,68',
    '43,9,296,442,52,39,291,399,267,33,605,71,9,56,71,261,9,78,46',
    '1035,201,860,28,223,223,464,14,1033,578,3,201,200,1009,28,201',
    '55,80,471,538,71,28,280,67,72,130,105,14,223,165,248,101,165,253,108,167,106,255,223,175,256,250,227,1039,1039',
  ],
  "falcon": [
    '18,1029,223,1024,223,1025,223,1025,22,223,1025,22,23,1031,16,21,1031,1043,21,1029,14,18,18,18,223,6,19,18,18,223,13,19,261,1059,68',
    '43,9,296,223,9,52,39,291,399,267,33,605,71,9,56,71,261,9,78,46',
    '1035,201,860,28,223,223,464,14,1033,578,3,201,200,1009,28,201',
    '55,80,471,538,71,28,280,67,72,130,105,14,223,165,248,101,165,253,108,167,106,255,223,175,256,250,227,1039,1039',
  ],
  "bloom": [
    '18,1029,223,1024,223,1025,223,1026,223,1026,23,1031,16,21,1031,1043,21,1029,14,18,18,18,223,1057,18,18,223,1058,261,1059,68',
    '43,9,296,442,52,39,291,399,267,33,605,71,1047,71,261,9,78,46',
    '1035,201,860,28,223,223,464,14,1033,578,3,201,200,1009,28,201',
    '55,80,471,538,71,28,280,67,72,130,105,14,223,165,248,101,165,253,108,167,106,255,223,175,256,250,227,1039,1039',
  ],
  "SentencePiece": [
    '1,223,18,1029,1030,223,1025,223,1026,223,1026,23,1031,16,21,1031,1043,21,1029,14,18,18,18,223,1057,18,18,223,1058,261,1059,68',
    '1,294,1050,442,52,39,291,399,267,33,605,71,1047,71,261,9,78,46',
    '1,223,1035,201,860,28,1033,464,14,1033,578,3,201,200,1009,1055',
    '1,223,55,80,471,538,71,28,280,67,72,130,105,1060,165,248,101,165,253,108,167,106,255,223,175,256,250,227,1039,1039',
  ],
};

test("each pre-tokenizer, and SentencePiece, gives llama.cpp's ids on a vocabulary grown to tell them apart", { skip }, () => {
  const fixture = readGgufHeader(join(ggufDir, 'shakespeare-5m-f32.gguf')).metadata;
  const distinct = new Set<string>();
  for (const [variant, expected] of Object.entries(LLAMA_CPP_IDS)) {
    const metadata = variant === 'SentencePiece' ? sentencePieceFromByteLevel(grownByteLevelGguf(fixture, 'gpt-2')) : grownByteLevelGguf(fixture, variant);
    const tokenizer = textTokenizerFromGguf(metadata, `${variant}.gguf`);
    LLAMA_CPP_TEXTS.forEach((text, i) => {
      assert.equal(tokenizer.encode(text).join(','), expected[i], `${variant}: ${JSON.stringify(text)}`);
      distinct.add(`${i}:${expected[i]}`);
    });
  }
  // The variants really do split differently: a table that ignored tokenizer.ggml.pre would fail above.
  assert.ok(distinct.size >= 16, `only ${distinct.size} distinct tokenizations`);
});

// ---- synthetic SentencePiece ("llama") ----------------------------------------------------------
// No SentencePiece GGUF is among the fixtures, so the expectations below are worked out by hand
// from llama.cpp's algorithm: text gets ▁ for spaces and one in front, then the adjacent pair
// whose concatenation is the entry of highest score merges first, and characters left without an
// entry become their UTF-8 bytes as <0xNN> tokens. (llama.cpp itself, given this vocabulary as a
// GGUF, tokenized every text below to the same ids when the tests were written.)

const SPM_PIECES: [string, number][] = [
  ['▁', -1],
  ['a', -2],
  ['b', -2],
  ['c', -2],
  ['d', -2],
  ['e', -2],
  ['h', -2],
  ['l', -2],
  ['o', -2],
  ['r', -2],
  ['w', -2],
  // "ab" has the lower id but the lower score: score, not id, decides that "abc" is a + bc.
  ['ab', -5],
  ['bc', -1],
  ['he', -3],
  ['ll', -4],
  ['hell', -6],
  ['hello', -7],
  ['▁hello', -8],
  ['▁h', -10],
  ['or', -11],
  ['wor', -12],
  ['ld', -13],
  ['world', -14],
  ['▁world', -15],
  ['▁w', -20],
  // Two newlines are an entry though one is not (it is <0x0A>): llama.cpp still joins the two characters.
  ['\n\n', -30],
];

function sentencePieceGguf(extra: Record<string, unknown> = {}): Map<string, unknown> {
  const bytes = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  const tokens = ['<unk>', '<s>', '</s>', ...bytes, ...SPM_PIECES.map(([piece]) => piece), '<tool>'];
  const types = [2, 3, 3, ...bytes.map(() => 6), ...SPM_PIECES.map(() => 1), 4];
  const scores = [0, 0, 0, ...bytes.map(() => 0), ...SPM_PIECES.map(([, score]) => score), 0];
  const metadata = new Map<string, unknown>([
    ['tokenizer.ggml.model', 'llama'],
    ['tokenizer.ggml.tokens', tokens],
    ['tokenizer.ggml.token_type', types],
    ['tokenizer.ggml.scores', scores],
  ]);
  for (const [key, value] of Object.entries(extra)) metadata.set(key, value);
  return metadata;
}

test('SentencePiece: ▁ for spaces and in front, merges by score, BOS by default (ids 0/1/2 as llama.cpp assumes)', () => {
  const tokenizer = textTokenizerFromGguf(sentencePieceGguf(), 'spm.gguf');
  assert.deepEqual(tokensOf(tokenizer, 'hello world'), ['<s>', '▁hello', '▁world']);
  assert.deepEqual(tokensOf(tokenizer, 'abc'), ['<s>', '▁', 'a', 'bc']);
  assert.deepEqual(tokensOf(tokenizer, ' hello'), ['<s>', '▁', '▁hello']);
  assert.deepEqual(tokensOf(tokenizer, 'hello '), ['<s>', '▁hello', '▁']);
  assert.deepEqual(tokensOf(tokenizer, 'world  hello'), ['<s>', '▁world', '▁', '▁hello']);
  assert.equal(tokenizer.bosTokenId, 1);
  assert.equal(tokenizer.eosTokenId, 2);
  assert.equal(tokenizer.decode(tokenizer.encode('hello world'), { skipSpecialTokens: true }), 'hello world');
  assert.equal(tokenizer.decode(tokenizer.encode(' hello'), { skipSpecialTokens: true }), ' hello');
});

test('SentencePiece: characters without an entry fall back to their UTF-8 bytes, and decode back', () => {
  const tokenizer = textTokenizerFromGguf(sentencePieceGguf(), 'spm.gguf');
  // é is C3 A9 in UTF-8; <0xNN> is id 3 + NN; 🦙 is F0 9F A6 99.
  assert.deepEqual(tokenizer.encode('hé', { addSpecialTokens: false }), [tokenizer.tokenToId('▁h')!, 3 + 0xc3, 3 + 0xa9]);
  assert.deepEqual(tokensOf(tokenizer, '🦙'), ['<s>', '▁', '<0xF0>', '<0x9F>', '<0xA6>', '<0x99>']);
  assert.equal(tokenizer.decode(tokenizer.encode('hé 🦙 world'), { skipSpecialTokens: true }), 'hé 🦙 world');
  // Streamed one id at a time, the byte tokens of é and 🦙 are held until their character is whole.
  const streamed = new StreamingDetokenizer(tokenizer);
  const pieces = tokenizer.encode('hé 🦙 world').map((id) => streamed.push(id));
  assert.equal(pieces.join('') + streamed.flush(), 'hé 🦙 world');
  assert.ok(!pieces.some((piece) => piece.includes('\uFFFD')));
  assert.deepEqual(tokensOf(tokenizer, 'hello\n\n\n'), ['<s>', '▁hello', '\n\n', '<0x0A>']);
  assert.equal(tokenizer.decode(tokenizer.encode('hello\n\n\n'), { skipSpecialTokens: true }), 'hello\n\n\n');
});

test('SentencePiece: added tokens split the text, and each run after one gets its own leading ▁', () => {
  const tokenizer = textTokenizerFromGguf(sentencePieceGguf(), 'spm.gguf');
  assert.deepEqual(
    tokenizer.encode('hello</s>world', { addSpecialTokens: false }).map((id) => tokenizer.idToToken(id)),
    ['▁hello', '</s>', '▁world'],
  );
  // A user-defined entry is matched whole but is not special: skipping specials keeps it.
  const ids = tokenizer.encode('hello<tool>world', { addSpecialTokens: false });
  assert.deepEqual(ids.map((id) => tokenizer.idToToken(id)), ['▁hello', '<tool>', '▁world']);
  assert.ok(!tokenizer.specialTokenIds.has(tokenizer.tokenToId('<tool>')!));
  assert.deepEqual([...tokenizer.specialTokenIds].sort((a, b) => a - b), [0, 1, 2]);
});

test('SentencePiece: add_space_prefix false leaves the text unprefixed; add_bos false and add_eos true are obeyed', () => {
  const tokenizer = textTokenizerFromGguf(
    sentencePieceGguf({ 'tokenizer.ggml.add_space_prefix': false, 'tokenizer.ggml.add_bos_token': false, 'tokenizer.ggml.add_eos_token': true }),
    'spm.gguf',
  );
  assert.deepEqual(tokensOf(tokenizer, 'hello world'), ['hello', '▁world', '</s>']);
  assert.equal(tokenizer.decode(tokenizer.encode('hello world'), { skipSpecialTokens: true }), 'hello world');
});

test('SentencePiece ids given in the file replace the defaults', () => {
  const files = tokenizerFromGgufMetadata(
    sentencePieceGguf({ 'tokenizer.ggml.bos_token_id': 2, 'tokenizer.ggml.eos_token_id': 1, 'tokenizer.ggml.unknown_token_id': 0, 'tokenizer.ggml.padding_token_id': 9999 }),
    'spm.gguf',
  );
  // An id past the vocabulary is dropped, as llama.cpp drops it.
  assert.deepEqual(files.specialTokenIds, { bos: 2, eos: 1, eot: null, eom: null, pad: null, unk: 0 });
  assert.equal(files.config.bos_token, '</s>');
  assert.equal(files.config.add_bos_token, true);
});
