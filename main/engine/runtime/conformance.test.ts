// The runtime against PyTorch: every hf-tiny architecture, built fp32 with fused and with
// reference attention, must reproduce the fixtures' logits (one pass, through the KV cache,
// a left-padded batch) and their greedy tokens, with both KV cache kinds where they apply.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { AttentionMode } from '../../common/model-manifest.ts';
import { CachedSequence } from './cached-sequence.ts';
import { collectGeneration, generate } from './generate.ts';
import type { KvCacheKind } from './kv-cache.ts';
import { computeBatchLogits, computeLogits } from './logits.ts';
import { openModel } from './model-session.ts';
import type { LoadedModel } from './model-session.ts';
import { CONFORMANCE_MODELS, FixtureBuilds, maxAbsDiff, readReference } from './test/reference-fixtures.ts';
import type { ReferenceTensors } from './test/reference-fixtures.ts';

const TOLERANCE = 1e-4;
const builds = new FixtureBuilds();
after(() => builds.cleanup());

function assertClose(actual: Float32Array, expected: Float32Array, include?: (index: number) => boolean): void {
  const diff = maxAbsDiff(actual, expected, include);
  assert.ok(diff <= TOLERANCE, `max |logit difference| ${diff} exceeds ${TOLERANCE}`);
}

const modes: { attention: AttentionMode; caches: KvCacheKind[] }[] = [
  { attention: 'fused', caches: ['shared-buffer', 'growing'] },
  { attention: 'reference', caches: ['growing'] },
];

for (const { name: arch, dir: source, skip } of CONFORMANCE_MODELS) {
  for (const { attention, caches } of modes) {
    describe(`${arch} fp32 ${attention}`, { skip }, () => {
      let model: LoadedModel;
      let reference: ReferenceTensors;
      let ids: number[];
      before(async () => {
        model = await openModel(await builds.build(source, arch, 'fp32', attention), { threads: 2 });
        reference = await readReference(join(source, 'reference.safetensors'));
        ids = reference.ints('input_ids').data;
      });
      after(() => model?.release());

      it('logits_full in one pass', async () => {
        const logits = await computeLogits(model, ids);
        assertClose(logits, reference.floats('logits_full').data);
      });

      for (const cache of caches) {
        it(`logits_cached: prefill 8, then one token at a time (${cache} cache)`, async () => {
          const logits = await computeLogits(model, ids, { prefill: 8, cache });
          assertClose(logits, reference.floats('logits_cached').data);
        });

        it(`several new tokens after a cached past (${cache} cache)`, async () => {
          const sequence = new CachedSequence(model, { cache, contextLength: 32 });
          try {
            const vocab = model.spec.vocabSize;
            const first = await sequence.feed(ids.slice(0, 5), 'all');
            const rest = await sequence.feed(ids.slice(5), 'all');
            const both = new Float32Array(ids.length * vocab);
            both.set(first, 0);
            both.set(rest, 5 * vocab);
            assertClose(both, reference.floats('logits_full').data);
          } finally {
            sequence.dispose();
          }
        });

        it(`greedy_ids: 20 greedy tokens after greedy_prompt (${cache} cache)`, async () => {
          const prompt = reference.ints('greedy_prompt').data;
          const result = await collectGeneration(
            generate(model, null, prompt, { temperature: 0, maxNewTokens: 20, ignoreEos: true, cache, contextLength: 64 }),
          );
          assert.deepEqual(result.ids, reference.ints('greedy_ids').data);
          assert.equal(result.stopReason, 'max-tokens');
        });
      }

      it('a left-padded batch, compared at unmasked positions', async () => {
        const { data: flatIds, shape } = reference.ints('batch_input_ids');
        const flatMask = reference.ints('batch_attention_mask').data;
        const [rows, length] = shape;
        const rowsOf = (flat: number[]) => Array.from({ length: rows }, (_, b) => flat.slice(b * length, (b + 1) * length));
        assert.ok(flatMask.slice(length, length + 3).every((m) => m === 0), 'row 1 of the fixture is left-padded');
        const logits = await computeBatchLogits(model, { inputIds: rowsOf(flatIds), attentionMask: rowsOf(flatMask) });
        const vocab = model.spec.vocabSize;
        const unmasked = (index: number) => flatMask[Math.floor(index / vocab)] === 1;
        assertClose(logits, reference.floats('batch_logits').data, unmasked);
        assert.ok(Number.isNaN(logits[length * vocab]), 'padded positions are NaN');
      });
    });
  }
}
