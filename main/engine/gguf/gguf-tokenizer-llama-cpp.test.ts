// The tokenizer rebuilt from a GGUF file's metadata against the real tokenizers: llama.cpp ships
// vocab-only GGUF files its converter wrote from Hugging Face tokenizers, each with test texts
// (.inp) and the ids the Hugging Face tokenizer gave for them (.out, no special tokens added).
// Every file whose tokenizer model and pre-tokenizer Hearth rebuilds must give those ids on every
// text. Needs llama.cpp's source (HEARTH_LLAMA_ORACLE); skips without it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { readGgufHeader } from './gguf-file.ts';
import { textTokenizerFromGguf } from './gguf-tokenizer.ts';
import { LLAMA_ORACLE_MISSING, llamaOracle } from './test/llama-oracle.ts';

/** The vocab files of the families Hearth runs (others, e.g. bert or deepseek's, are refused by name). */
const VOCABS = ['llama-bpe', 'llama-spm', 'qwen2', 'phi-3', 'gpt-2', 'mpt', 'falcon', 'starcoder', 'refact', 'command-r'];
const SEPARATOR = '\n__ggml_vocab_test__\n';

describe('GGUF tokenizers against the ids of the real tokenizers they came from', { skip: LLAMA_ORACLE_MISSING }, () => {
  for (const vocab of VOCABS) {
    it(`ggml-vocab-${vocab}.gguf encodes llama.cpp's test texts as Hugging Face did`, (t) => {
      const file = llamaOracle().vocabFile(vocab);
      if (!existsSync(`${file}.inp`)) return t.skip(`${file}.inp is absent in this llama.cpp`);
      const tokenizer = textTokenizerFromGguf(readGgufHeader(file).metadata, file);
      const texts = readFileSync(`${file}.inp`, 'utf8').split(SEPARATOR).slice(0, -1);
      const expected = readFileSync(`${file}.out`, 'utf8').split('\n');
      assert.ok(texts.length > 30, `${texts.length} texts`);
      texts.forEach((text, i) => {
        const ids = tokenizer.encode(text, { addSpecialTokens: false }).join(' ');
        assert.equal(ids, expected[i]!.trim(), `text ${i}: ${JSON.stringify(text)}`);
      });
    });
  }
});
