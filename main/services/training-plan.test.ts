// jobs.trainingPlan: the Fine-tune form's base-precision dropdown, from the training memory plan,
// with the fit badge against the machine's RAM (a detected machine of 8 GB here).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BUNDLED_MODEL_ID } from './library-service.ts';
import { openTestServices, type TestServices } from './services-test-support.ts';

describe('jobs.trainingPlan', () => {
  let t: TestServices;
  before(async () => {
    t = await openTestServices();
  });
  after(() => t.cleanup());

  it('gives each base precision its memory and fit, smaller at int4, fp16 unavailable', async () => {
    const plan = await t.services.handlers['jobs.trainingPlan']({ baseModelId: BUNDLED_MODEL_ID, method: 'sft', r: 8, targets: 'all-linear', batchSize: 8, maxLength: 512 });
    const by = Object.fromEntries(plan.options.map((o) => [o.baseDtype, o]));
    assert.deepEqual(Object.keys(by), ['fp32', 'fp16', 'int8', 'int4']);
    assert.equal(by.fp16.totalBytes, null);
    assert.equal(by.fp16.fits, false);
    assert.ok(by.int4.totalBytes! < by.fp32.totalBytes!, 'int4 base plans less than fp32');
    assert.ok(by.int4.fits && by.fp32.fits, 'the demo model fits an 8 GB machine');
    assert.match(by.int4.note, /GB for 8 × 512 tokens/);
  });

  it('says a job too large for the machine does not fit', async () => {
    const plan = await t.services.handlers['jobs.trainingPlan']({ baseModelId: BUNDLED_MODEL_ID, method: 'dpo', r: 8, targets: 'all-linear', batchSize: 256, maxLength: 2048 });
    const fp32 = plan.options.find((o) => o.baseDtype === 'fp32')!;
    assert.equal(fp32.fits, false, fp32.note);
    assert.match(fp32.note, /512 × \d+ tokens \(more than .* GB free\)/);
  });
});
