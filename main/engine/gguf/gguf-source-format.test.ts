// gguf-source-format: llama.cpp's file type names, the fallback for files without general.file_type,
// the tensor type counts, and the precision an as-downloaded build is listed under.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GgufTensorInfo } from './gguf-file.ts';
import type { GgmlType } from './ggml-type.ts';
import { asDownloadedPrecision, ggufFileTypeName, ggufSourceFormat, llamaFileTypeName } from './gguf-source-format.ts';

function tensor(name: string, type: GgmlType, dims: number[]): GgufTensorInfo {
  const values = dims.reduce((a, b) => a * b, 1);
  return { name, type, dims, values, offset: 0, byteLength: 0 };
}

const tensors = new Map([
  ['token_embd.weight', tensor('token_embd.weight', 14, [256, 1024])],
  ['blk.0.attn_norm.weight', tensor('blk.0.attn_norm.weight', 0, [256])],
  ['blk.0.attn_q.weight', tensor('blk.0.attn_q.weight', 12, [256, 256])],
  ['blk.0.ffn_up.weight', tensor('blk.0.ffn_up.weight', 12, [256, 1408])],
]);

test("general.file_type is named as llama.cpp names it, its 'guessed' flag masked", () => {
  assert.equal(llamaFileTypeName(0), 'F32');
  assert.equal(llamaFileTypeName(2), 'Q4_0');
  assert.equal(llamaFileTypeName(7), 'Q8_0');
  assert.equal(llamaFileTypeName(15), 'Q4_K_M');
  assert.equal(llamaFileTypeName(18), 'Q6_K');
  assert.equal(llamaFileTypeName(32), 'BF16');
  assert.equal(llamaFileTypeName(1024 + 15), 'Q4_K_M');
  assert.equal(llamaFileTypeName(5), null);
});

test('a file without a known general.file_type is named by the type holding most weight values', () => {
  assert.equal(ggufFileTypeName({ metadata: new Map([['general.file_type', 15]]), tensors }), 'Q4_K_M');
  assert.equal(ggufFileTypeName({ metadata: new Map(), tensors }), 'Q4_K');
  assert.equal(ggufFileTypeName({ metadata: new Map([['general.file_type', 99]]), tensors }), 'Q4_K');
});

test('sourceFormat counts the tensors of each type', () => {
  assert.deepEqual(ggufSourceFormat({ metadata: new Map([['general.file_type', 15n]]), tensors }, true), {
    kind: 'gguf',
    fileType: 'Q4_K_M',
    tensorTypes: { Q6_K: 1, F32: 1, Q4_K: 2 },
    asDownloaded: true,
  });
});

test('an as-downloaded build is listed under the precision of about its size per weight', () => {
  assert.equal(asDownloadedPrecision('F32'), 'fp32');
  assert.equal(asDownloadedPrecision('BF16'), 'fp32');
  assert.equal(asDownloadedPrecision('Q8_0'), 'int8');
  assert.equal(asDownloadedPrecision('Q6_K'), 'int8');
  assert.equal(asDownloadedPrecision('Q5_K_M'), 'int8');
  assert.equal(asDownloadedPrecision('Q4_K_M'), 'int4');
  assert.equal(asDownloadedPrecision('Q4_0'), 'int4');
});
