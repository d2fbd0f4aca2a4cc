// fp16 builds (the GPU path) run on the CPU provider too: their logits must stay close to the
// fp32 reference for every architecture, and the prefill + cache path must agree with one pass.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { computeLogits } from './logits.ts';
import { openModel } from './model-session.ts';
import { CONFORMANCE_MODELS, FixtureBuilds, maxAbsDiff, readReference } from './test/reference-fixtures.ts';

/** Half precision keeps ~3 significant digits; these tiny models' logits are O(1). */
const FP16_TOLERANCE = 2e-2;
const builds = new FixtureBuilds();
after(() => builds.cleanup());

for (const { name, dir, skip } of CONFORMANCE_MODELS) {
  describe(`${name} fp16`, { skip }, () => {
    it('logits stay within 2e-2 of the fp32 reference, in one pass and through the KV cache', async () => {
      const model = await openModel(await builds.build(dir, name, 'fp16'), { threads: 2 });
      try {
        assert.equal(model.manifest.kvDtype, 'float16');
        const reference = await readReference(join(dir, 'reference.safetensors'));
        const ids = reference.ints('input_ids').data;
        const full = await computeLogits(model, ids);
        const cached = await computeLogits(model, ids, { prefill: 8 });
        const expected = reference.floats('logits_full').data;
        assert.ok(maxAbsDiff(full, expected) <= FP16_TOLERANCE, `one pass differs by ${maxAbsDiff(full, expected)}`);
        assert.ok(maxAbsDiff(cached, expected) <= FP16_TOLERANCE, `cached differs by ${maxAbsDiff(cached, expected)}`);
      } finally {
        await model.release();
      }
    });
  });
}
