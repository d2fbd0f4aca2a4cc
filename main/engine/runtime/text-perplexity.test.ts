import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildModel } from '../builder/build-model.ts';
import { loadTokenizer } from '../tokenizer/load-tokenizer.ts';
import type { TextTokenizer } from '../tokenizer/text-tokenizer.ts';
import { openModel } from './model-session.ts';
import { PerplexityInputError, windowedPerplexity } from './perplexity.ts';
import { textPerplexity } from './text-perplexity.ts';

const root = new URL('../../../', import.meta.url).pathname;
const DEMO = join(root, 'resources/models/shakespeare-5m');
const QUALITY_TEXT = join(root, 'resources/quality/declaration-of-independence.txt');

describe('perplexity on the bundled quality text (the demo model)', () => {
  let dir: string;
  let tokenizer: TextTokenizer;
  let text: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-text-ppl-'));
    tokenizer = await loadTokenizer(DEMO);
    text = await readFile(QUALITY_TEXT, 'utf8');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function measure(precision: 'fp32' | 'int4', options = {}) {
    const out = join(dir, precision);
    await buildModel(DEMO, out, { precision });
    const model = await openModel(out, { threads: 1 });
    try {
      return { result: await textPerplexity(model, tokenizer, text, options), model: out };
    } finally {
      await model.release();
    }
  }

  it('scores 8 windows of 128 tokens of the text, the same as windowedPerplexity over its token ids', async () => {
    const { result, model: out } = await measure('fp32');
    assert.equal(result.tokens, 8 * 128);
    // Shakespeare-trained, scoring 1776 prose: worse than on Shakespeare, far better than chance (vocab 1,024).
    assert.ok(result.perplexity > 2 && result.perplexity < 200, `perplexity ${result.perplexity}`);
    const model = await openModel(out, { threads: 1 });
    try {
      const ids = tokenizer.encode(text, { addSpecialTokens: false });
      const direct = await windowedPerplexity(model, ids, 128, 8);
      assert.equal(result.nll, direct.nll);
    } finally {
      await model.release();
    }
  });

  it('tells int4 from fp32 by a small, non-zero cost', async () => {
    const fp32 = (await measure('fp32')).result.perplexity;
    const int4 = (await measure('int4')).result.perplexity;
    const increase = int4 / fp32 - 1;
    assert.ok(increase !== 0 && Math.abs(increase) < 0.05, `int4 against fp32: ${(increase * 100).toFixed(3)} %`);
  });

  it('uses fewer windows for a shorter text, and refuses one shorter than a window', async () => {
    const { result } = await measure('fp32', { maxWindows: 3 });
    assert.equal(result.tokens, 3 * 128);
    const out = join(dir, 'fp32');
    const model = await openModel(out, { threads: 1 });
    try {
      await assert.rejects(textPerplexity(model, tokenizer, 'We hold these truths.'), (error: unknown) => error instanceof PerplexityInputError && /needs at least 129/.test(error.message));
    } finally {
      await model.release();
    }
  });
});
