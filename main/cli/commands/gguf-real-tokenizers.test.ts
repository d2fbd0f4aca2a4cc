// `hearth run FILE.gguf --prompt P` gives llama.cpp's prompt ids and greedy ids on models that carry
// real tokenizers as llama.cpp's converter wrote them: Llama 3's byte-level BPE, Qwen2's (which
// Qwen3 shares) and Llama 2's SentencePiece, each as F32 and as llama.cpp quantized it to Q8_0 and
// Q4_K_M. The weights are seeded random (no model can be downloaded here); the tokenizer metadata is
// llama.cpp's own vocab file, copied as it is. Needs llama.cpp (HEARTH_LLAMA_ORACLE); skips without it.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readGgufHeader } from '../../engine/gguf/gguf-file.ts';
import { LLAMA_ORACLE_MISSING, llamaOracle } from '../../engine/gguf/test/llama-oracle.ts';
import { writeTokenizerDonorModel, type DonorArchitecture } from '../../engine/gguf/test/tokenizer-donor-model.ts';
import { CliScratch, lastLine } from '../cli-test-support.ts';

const PROMPT = 'Hello, world! ROMEO: But soft, what light through yonder window breaks? 日本語 1234';
const NEW_TOKENS = 24;
const MODELS: { vocab: string; arch: DonorArchitecture; tokenizer: string }[] = [
  { vocab: 'llama-bpe', arch: 'llama', tokenizer: 'Llama 3' },
  { vocab: 'qwen2', arch: 'qwen3', tokenizer: 'Qwen2/Qwen3' },
  { vocab: 'llama-spm', arch: 'llama', tokenizer: 'Llama 2 (SentencePiece)' },
];

describe('GGUF files with real tokenizers against llama.cpp', { skip: LLAMA_ORACLE_MISSING }, () => {
  const cli = new CliScratch();
  after(() => cli.cleanup());

  for (const { vocab, arch, tokenizer } of MODELS) {
    it(`${arch} with ${tokenizer}'s tokenizer: F32, Q8_0 and Q4_K_M give llama.cpp's ids`, async () => {
      const oracle = llamaOracle();
      const dir = await cli.dir();
      const f32 = join(dir, `${vocab}-f32.gguf`);
      await writeTokenizerDonorModel(f32, readGgufHeader(oracle.vocabFile(vocab)), arch, 7);
      for (const type of ['f32', 'q8_0', 'q4_k_m']) {
        const file = type === 'f32' ? f32 : join(dir, `${vocab}-${type}.gguf`);
        if (type !== 'f32') await oracle.quantize(f32, file, type);
        const expected = await oracle.greedy(file, PROMPT, NEW_TOKENS);
        const result = await cli.hearth(['run', file, '--prompt', PROMPT, '--max-new-tokens', String(NEW_TOKENS), '--ignore-eos', '--json']);
        assert.equal(result.code, 0, result.stderr);
        const mine = JSON.parse(lastLine(result.stdout)) as { prompt_ids: number[]; ids: number[] };
        assert.deepEqual(mine.prompt_ids, expected.prompt_ids, `${type}: prompt ids`);
        assert.deepEqual(mine.ids, expected.ids, `${type}: greedy ids`);
      }
    });
  }
});
