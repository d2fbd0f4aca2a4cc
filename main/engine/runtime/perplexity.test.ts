// Quantization quality on a trained model: shakespeare-5m's held-out perplexity at fp32 must
// equal PyTorch's, and int8/int4 may cost at most +0.2 % / +0.5 % perplexity (measured +0.04 % /
// +0.38 %; llama.cpp's Q8_0 and Q4_K_M files of the same weights: +0.03 % / +0.29 %).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Precision } from '../../common/model-manifest.ts';
import { SafetensorsFile } from '../checkpoint/safetensors-file.ts';
import { openModel } from './model-session.ts';
import { windowedPerplexity, PerplexityInputError } from './perplexity.ts';
import { FixtureBuilds, SHAKESPEARE_DIR, fixturesMissing } from './test/reference-fixtures.ts';

const skip = fixturesMissing(SHAKESPEARE_DIR);
const builds = new FixtureBuilds();
after(() => builds.cleanup());

describe('shakespeare-5m held-out perplexity', { skip }, () => {
  let ids: number[];
  let referenceNll: number;
  const perplexity: Partial<Record<Precision, number>> = {};

  before(async () => {
    const file = await SafetensorsFile.open(join(SHAKESPEARE_DIR, 'eval_tokens.safetensors'));
    try {
      ids = Array.from((await file.readTyped('val_ids')).data as BigInt64Array, Number);
    } finally {
      await file.close();
    }
    referenceNll = JSON.parse(await readFile(join(SHAKESPEARE_DIR, 'reference.json'), 'utf8')).mean_nll;
  });

  async function measure(precision: Precision): Promise<number> {
    const model = await openModel(await builds.build(SHAKESPEARE_DIR, 'shakespeare', precision), { threads: 2 });
    try {
      const result = await windowedPerplexity(model, ids, 256, 32);
      perplexity[precision] = result.perplexity;
      return result.nll;
    } finally {
      await model.release();
    }
  }

  it('fp32 mean NLL is within 5e-4 of PyTorch', async () => {
    const nll = await measure('fp32');
    assert.ok(Math.abs(nll - referenceNll) <= 5e-4, `fp32 NLL ${nll} vs PyTorch ${referenceNll}`);
  });

  it('int8 costs at most +0.2 % perplexity', async () => {
    await measure('int8');
    const increase = perplexity.int8! / perplexity.fp32! - 1;
    assert.ok(increase <= 0.002, `int8 perplexity +${(increase * 100).toFixed(3)} %`);
  });

  it('int4 costs at most +0.5 % perplexity', async () => {
    await measure('int4');
    const increase = perplexity.int4! / perplexity.fp32! - 1;
    assert.ok(increase <= 0.005, `int4 perplexity +${(increase * 100).toFixed(3)} %`);
  });

  it('refuses windows the tokens cannot fill, naming the sizes', async () => {
    const model = await openModel(await builds.build(SHAKESPEARE_DIR, 'shakespeare', 'fp32'), { threads: 1 });
    try {
      await assert.rejects(windowedPerplexity(model, ids.slice(0, 100), 256, 1), (error: Error) => {
        assert.ok(error instanceof PerplexityInputError);
        assert.match(error.message, /need 257 token ids, but the tensor has 100/);
        return true;
      });
    } finally {
      await model.release();
    }
  });
});
