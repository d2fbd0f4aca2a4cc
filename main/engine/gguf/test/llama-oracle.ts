// Test support only: llama.cpp as a reference, where ../shared/tools/llama-oracle/build.sh has been
// run into a directory named by HEARTH_LLAMA_ORACLE (its llama_oracle binary, libdir, and the
// unpacked llama.cpp source with models/ggml-vocab-*.gguf). Tests that need it skip with this reason.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LlamaOracle {
  dir: string;
  /** llama.cpp's vocab-only GGUF files, written by its converter from the real tokenizers. */
  vocabFile(name: string): string;
  quantize(input: string, output: string, type: string): Promise<void>;
  greedy(model: string, prompt: string, count: number): Promise<{ prompt_ids: number[]; ids: number[] }>;
}

const DIR = process.env.HEARTH_LLAMA_ORACLE;

export const LLAMA_ORACLE_MISSING: string | false =
  DIR === undefined || DIR === ''
    ? 'set HEARTH_LLAMA_ORACLE to a directory built by ../shared/tools/llama-oracle/build.sh to compare with llama.cpp'
    : !existsSync(join(DIR, 'llama_oracle')) || !existsSync(join(DIR, 'libdir'))
      ? `HEARTH_LLAMA_ORACLE=${DIR} has no llama_oracle and libdir: run ../shared/tools/llama-oracle/build.sh ${DIR}`
      : false;

export function llamaOracle(): LlamaOracle {
  if (LLAMA_ORACLE_MISSING !== false || DIR === undefined) throw new Error(String(LLAMA_ORACLE_MISSING));
  const binary = join(DIR, 'llama_oracle');
  const env = { ...process.env, LLAMA_LIB_DIR: readFileSync(join(DIR, 'libdir'), 'utf8').trim() };
  return {
    dir: DIR,
    vocabFile: (name) => join(DIR, 'llama.cpp', 'models', `ggml-vocab-${name}.gguf`),
    async quantize(input, output, type) {
      await run(binary, ['quantize', input, output, type], { env });
    },
    async greedy(model, prompt, count) {
      const { stdout } = await run(binary, ['greedy', model, prompt, String(count)], { env, maxBuffer: 1 << 24 });
      return JSON.parse(stdout) as { prompt_ids: number[]; ids: number[] };
    },
  };
}
