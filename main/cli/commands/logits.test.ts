// `hearth logits` against PyTorch: the hf-tiny llama built by `hearth build`, all positions in
// one pass and through the KV cache after a prefill of 8.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SafetensorsFile } from '../../engine/checkpoint/safetensors-file.ts';
import { HF_TINY_DIR, fixturesMissing, maxAbsDiff, readReference, type ReferenceTensors } from '../../engine/runtime/test/reference-fixtures.ts';
import { CliScratch } from '../cli-test-support.ts';

const LLAMA = join(HF_TINY_DIR, 'llama');
const scratch = new CliScratch();
after(() => scratch.cleanup());

async function readLogits(path: string): Promise<{ data: Float32Array; shape: number[]; dtype: string }> {
  const file = await SafetensorsFile.open(path);
  try {
    const { dtype } = file.tensors.get('logits') ?? { dtype: 'missing' };
    const { data, shape } = await file.readF32('logits');
    return { data, shape, dtype };
  } finally {
    await file.close();
  }
}

describe('hearth logits', { skip: fixturesMissing(HF_TINY_DIR) }, () => {
  let built: string;
  let reference: ReferenceTensors;
  let ids: string;
  before(async () => {
    built = join(await scratch.dir(), 'llama-built');
    const build = await scratch.hearth(['build', LLAMA, '--out', built, '--dtype', 'fp32']);
    assert.equal(build.code, 0, build.stderr);
    reference = await readReference(join(LLAMA, 'reference.safetensors'));
    ids = reference.ints('input_ids').data.join(',');
  });

  it('writes float32 logits [1, n, vocab] matching logits_full', async () => {
    const out = join(await scratch.dir(), 'full.safetensors');
    const result = await scratch.hearth(['logits', built, '--ids', ids, '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    const logits = await readLogits(out);
    assert.equal(logits.dtype, 'F32');
    assert.deepEqual(logits.shape, [1, 12, 512]);
    assert.ok(maxAbsDiff(logits.data, reference.floats('logits_full').data) <= 1e-4);
  });

  it('with --prefill 8 goes through the KV cache and matches logits_cached', async () => {
    const out = join(await scratch.dir(), 'cached.safetensors');
    const result = await scratch.hearth(['logits', built, '--ids', ids, '--prefill', '8', '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(maxAbsDiff((await readLogits(out)).data, reference.floats('logits_cached').data) <= 1e-4);
  });

  it('builds a Hugging Face folder into the cache on first use', async () => {
    const out = join(await scratch.dir(), 'from-hf.safetensors');
    const result = await scratch.hearth(['logits', LLAMA, '--ids', ids, '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /built .* \(cached in /);
    assert.ok(maxAbsDiff((await readLogits(out)).data, reference.floats('logits_full').data) <= 1e-4);
  });

  it('rejects an id outside the vocabulary and a --prefill longer than the ids (exit 2)', async () => {
    const out = join(await scratch.dir(), 'bad.safetensors');
    const outside = await scratch.hearth(['logits', built, '--ids', '1,512', '--out', out]);
    assert.equal(outside.code, 2);
    assert.match(outside.stderr, /token id 512 .* vocabulary of 512/);
    const prefill = await scratch.hearth(['logits', built, '--ids', '1,2', '--prefill', '3', '--out', out]);
    assert.equal(prefill.code, 2);
    assert.match(prefill.stderr, /--prefill must be at most 2/);
  });

  it('refuses --dtype for a folder that is already built', async () => {
    const result = await scratch.hearth(['logits', built, '--ids', '1,2', '--dtype', 'int4', '--out', join(await scratch.dir(), 'x.safetensors')]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /already built in fp32/);
  });
});
