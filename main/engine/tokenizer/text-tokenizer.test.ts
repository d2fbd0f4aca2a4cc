import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTokenizer, TokenizerLoadError } from './load-tokenizer.ts';
import { TextTokenizer } from './text-tokenizer.ts';
import { ChatTemplateError } from './chat-template.ts';

const fixtureDir = fileURLToPath(new URL('../../../../shared/fixtures/shakespeare-5m/', import.meta.url));
const skip = existsSync(join(fixtureDir, 'tokenizer_reference.json')) ? false : `reference fixtures not found at ${fixtureDir}`;

interface TokenizerReference {
  encodings: { text: string; ids: number[]; decoded: string }[];
  chat: { messages: { role: string; content: string }[]; add_generation_prompt: boolean; text: string; ids: number[] };
}

function readReference(): TokenizerReference {
  return JSON.parse(readFileSync(join(fixtureDir, 'tokenizer_reference.json'), 'utf8')) as TokenizerReference;
}

/** The fixture's tokenizer.json with a config of the test's choosing. */
function tokenizerWithConfig(config: Record<string, unknown>, chatTemplate: string | null): TextTokenizer {
  const tokenizerJson = JSON.parse(readFileSync(join(fixtureDir, 'tokenizer.json'), 'utf8')) as object;
  return new TextTokenizer({ tokenizerJson, config, chatTemplate, origin: 'test' });
}

test('encode and decode equal Hugging Face on every reference string', { skip }, async () => {
  const tokenizer = await loadTokenizer(fixtureDir);
  const reference = readReference();
  assert.ok(reference.encodings.length >= 5);
  for (const entry of reference.encodings) {
    assert.deepEqual(tokenizer.encode(entry.text), entry.ids, `encode ${JSON.stringify(entry.text)}`);
    assert.equal(tokenizer.decode(entry.ids), entry.decoded, `decode ${JSON.stringify(entry.text)}`);
  }
});

test('the chat template renders the reference conversation to the same text and ids', { skip }, async () => {
  const tokenizer = await loadTokenizer(fixtureDir);
  const { chat } = readReference();
  const options = { addGenerationPrompt: chat.add_generation_prompt };
  assert.equal(tokenizer.applyChatTemplate(chat.messages, options), chat.text);
  assert.deepEqual(tokenizer.encodeChat(chat.messages, options), chat.ids);
  assert.ok(!tokenizer.applyChatTemplate(chat.messages, { addGenerationPrompt: false }).endsWith('<|im_start|>assistant\n'));
});

test('special tokens, vocabulary size and token lookup come from the folder', { skip }, async () => {
  const tokenizer = await loadTokenizer(fixtureDir);
  assert.equal(tokenizer.eosTokenId, 2);
  assert.equal(tokenizer.eosToken, '<|im_end|>');
  assert.equal(tokenizer.padTokenId, 0);
  assert.equal(tokenizer.bosTokenId, null);
  assert.equal(tokenizer.vocabSize, 1024);
  assert.equal(tokenizer.tokenToId('<|im_start|>'), 1);
  assert.equal(tokenizer.tokenToId('no such token'), undefined);
  assert.equal(tokenizer.idToToken(2), '<|im_end|>');
  assert.deepEqual([...tokenizer.specialTokenIds].sort(), [0, 1, 2]);
  assert.equal(tokenizer.decode([1, 391, 275, 201, 375, 2], { skipSpecialTokens: true }), 'user\nhi');
  assert.equal(tokenizer.decode([]), '');
  assert.deepEqual(tokenizer.encode('', { addSpecialTokens: false }), []);
});

test('a system prompt is prepended only when the conversation has none', { skip }, async () => {
  const tokenizer = await loadTokenizer(fixtureDir);
  const withPrompt = tokenizer.applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true, systemPrompt: 'Be brief.' });
  assert.equal(withPrompt, '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n');
  const own = tokenizer.applyChatTemplate(
    [{ role: 'system', content: 'Own.' }, { role: 'user', content: 'hi' }],
    { addGenerationPrompt: false, systemPrompt: 'Be brief.' },
  );
  assert.equal(own, '<|im_start|>system\nOwn.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n');
});

test('templates see bos_token/eos_token and can raise_exception', { skip }, () => {
  const template =
    "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}" +
    "{{ m['content'] + eos_token }}{% endfor %}";
  const tokenizer = tokenizerWithConfig({ bos_token: '<|endoftext|>', eos_token: { content: '<|im_end|>' } }, template);
  assert.equal(tokenizer.applyChatTemplate([{ role: 'user', content: 'a' }], { addGenerationPrompt: false }), '<|endoftext|>a<|im_end|>');
  assert.throws(
    () => tokenizer.applyChatTemplate([{ role: 'system', content: 'a' }], { addGenerationPrompt: false }),
    (error: unknown) => error instanceof ChatTemplateError && /System role not supported/.test(error.message),
  );
});

test('a tokenizer without a chat template says so clearly', { skip }, () => {
  const tokenizer = tokenizerWithConfig({ eos_token: '<|im_end|>' }, null);
  assert.equal(tokenizer.hasChatTemplate, false);
  assert.throws(() => tokenizer.applyChatTemplate([{ role: 'user', content: 'a' }], { addGenerationPrompt: true }), ChatTemplateError);
});

test('add_bos_token in the config adds BOS when special tokens are added', { skip }, () => {
  const tokenizer = tokenizerWithConfig({ bos_token: '<|endoftext|>', add_bos_token: true }, null);
  assert.deepEqual(tokenizer.encode('Hello, world!'), [0, 42, 411, 81, 14, 869, 3]);
  assert.deepEqual(tokenizer.encode('Hello, world!', { addSpecialTokens: false }), [42, 411, 81, 14, 869, 3]);
});

test('loading names the missing or broken file', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-tokenizer-'));
  try {
    await assert.rejects(loadTokenizer(dir), (error: unknown) => error instanceof TokenizerLoadError && error.message.includes('tokenizer.json is missing'));
    writeFileSync(join(dir, 'tokenizer.json'), readFileSync(join(fixtureDir, 'tokenizer.json')));
    writeFileSync(join(dir, 'tokenizer_config.json'), '{ "eos_token": ');
    await assert.rejects(loadTokenizer(dir), (error: unknown) => error instanceof TokenizerLoadError && error.message.includes('tokenizer_config.json is not valid JSON'));
    writeFileSync(join(dir, 'tokenizer_config.json'), '{ "eos_token": "<|im_end|>" }');
    writeFileSync(join(dir, 'chat_template.jinja'), '{% for m in messages %}[{{ m.content }}]{% endfor %}');
    const tokenizer = await loadTokenizer(dir);
    assert.equal(tokenizer.applyChatTemplate([{ role: 'user', content: 'x' }], { addGenerationPrompt: false }), '[x]');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
