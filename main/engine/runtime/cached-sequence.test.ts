// CachedSequence on hf-tiny llama: cutting the cache back and feeding other tokens must give
// the logits a fresh pass gives, with both cache kinds; and the context bound holds.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CachedSequence } from './cached-sequence.ts';
import { ContextFullError } from './kv-cache.ts';
import type { KvCacheKind } from './kv-cache.ts';
import { openModel } from './model-session.ts';
import { GROWTH_STEP_TOKENS, type SharedBufferKvCache } from './shared-buffer-kv-cache.ts';
import type { LoadedModel } from './model-session.ts';
import { FixtureBuilds, HF_TINY_DIR, fixturesMissing, maxAbsDiff, readReference } from './test/reference-fixtures.ts';

const skip = fixturesMissing(HF_TINY_DIR);
const builds = new FixtureBuilds();
after(() => builds.cleanup());

describe('CachedSequence', { skip }, () => {
  let model: LoadedModel;
  let ids: number[];
  let logitsFull: Float32Array;
  before(async () => {
    const source = join(HF_TINY_DIR, 'llama');
    model = await openModel(await builds.build(source, 'llama'), { threads: 2 });
    const reference = await readReference(join(source, 'reference.safetensors'));
    ids = reference.ints('input_ids').data;
    logitsFull = reference.floats('logits_full').data;
  });
  after(() => model?.release());

  for (const cache of ['shared-buffer', 'growing'] as KvCacheKind[]) {
    it(`truncate keeps a prefix: other tokens fed after it give fresh logits (${cache} cache)`, async () => {
      const sequence = new CachedSequence(model, { cache, contextLength: 32 });
      try {
        const wrongTail = ids.slice(5).map((id) => (id + 7) % model.spec.vocabSize);
        await sequence.feed([...ids.slice(0, 5), ...wrongTail], 'all');
        assert.equal(sequence.truncate(5), 5);
        assert.deepEqual(sequence.tokens, ids.slice(0, 5));
        const vocab = model.spec.vocabSize;
        const tail = await sequence.feed(ids.slice(5), 'all');
        const diff = maxAbsDiff(tail, logitsFull.subarray(5 * vocab));
        assert.ok(diff <= 1e-4, `max |logit difference| ${diff}`);
        assert.equal(sequence.length, ids.length);
      } finally {
        sequence.dispose();
      }
    });

    it(`refuses tokens beyond its context (${cache} cache)`, async () => {
      const sequence = new CachedSequence(model, { cache, contextLength: 8 });
      try {
        await sequence.feed(ids.slice(0, 6), 'last');
        await assert.rejects(sequence.feed(ids.slice(6, 9), 'last'), (error: Error) => {
          assert.ok(error instanceof ContextFullError);
          assert.match(error.message, /holds 8 tokens: 6 cached plus 3 new/);
          return true;
        });
        assert.equal(sequence.length, 6);
        const last = await sequence.feed(ids.slice(6, 8), 'last');
        assert.equal(last.length, model.spec.vocabSize);
      } finally {
        sequence.dispose();
      }
    });
  }

  it('gives the logits of one pass when its shared buffer grows between calls', async () => {
    const vocab = model.spec.vocabSize;
    const long = Array.from({ length: GROWTH_STEP_TOKENS + 12 }, (_, i) => (i * 7919 + 13) % vocab);
    const whole = new CachedSequence(model, { contextLength: 256 });
    const stepped = new CachedSequence(model, { contextLength: 256 });
    try {
      const expected = await whole.feed(long, 'all');
      const first = GROWTH_STEP_TOKENS - 4;
      await stepped.feed(long.slice(0, first), 'all');
      assert.equal((stepped.cache as SharedBufferKvCache).slots, GROWTH_STEP_TOKENS);
      for (let i = first; i < long.length; i++) {
        const logits = await stepped.feed([long[i]], 'last');
        const diff = maxAbsDiff(logits, expected.subarray(i * vocab, (i + 1) * vocab));
        assert.ok(diff <= 1e-4, `position ${i}: max |logit difference| ${diff}`);
      }
      assert.equal((stepped.cache as SharedBufferKvCache).slots, 2 * GROWTH_STEP_TOKENS);
    } finally {
      whole.dispose();
      stepped.dispose();
    }
  });

  it('chooses the shared buffer for fused attention on the CPU by default', () => {
    const sequence = new CachedSequence(model, { contextLength: 16 });
    assert.equal(sequence.cache.kind, 'shared-buffer');
    assert.equal(sequence.capacity, 16);
    sequence.dispose();
  });

  it('rejects a context longer than the model was trained for', () => {
    assert.throws(() => new CachedSequence(model, { contextLength: model.spec.contextLength + 1 }), /trained for at most 256/);
  });
});
