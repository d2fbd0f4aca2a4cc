import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { destDirOf } from './downloads-service.ts';
import { ggufQuantizationOf } from './hub-service.ts';

test("a GGUF file's quantization is read from its name as llama.cpp writes it", () => {
  assert.equal(ggufQuantizationOf('qwen2.5-0.5b-instruct-q4_k_m.gguf'), 'Q4_K_M');
  assert.equal(ggufQuantizationOf('Llama-3.2-1B-Instruct-Q8_0.gguf'), 'Q8_0');
  assert.equal(ggufQuantizationOf('sub/dir/model-IQ2_XXS.gguf'), 'IQ2_XXS');
  assert.equal(ggufQuantizationOf('model.F16.gguf'), 'F16');
  assert.equal(ggufQuantizationOf('model-bf16.gguf'), 'BF16');
  assert.equal(ggufQuantizationOf('model.gguf'), null);
});

test('a download goes under <dataDir>/downloads/<owner>/<name>, a picked GGUF file into a folder of its own below it', () => {
  assert.equal(destDirOf('/data', 'org/name', null), join('/data', 'downloads', 'org', 'name'));
  assert.equal(destDirOf('/data', 'org/name', 'name-Q4_K_M.gguf'), join('/data', 'downloads', 'org', 'name', 'name-Q4_K_M'));
  assert.equal(destDirOf('/data', 'org/name', 'q4/name-Q4_K_M.gguf'), join('/data', 'downloads', 'org', 'name', 'q4', 'name-Q4_K_M'));
});
