// "Measure quality" through the API handlers, with a real worker process, the bundled demo model
// and the quality text in resources/: the plan's typical int4 figure (measured on another model)
// gives way to this model's own, measured once per build and kept in SQLite.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ApiError } from '../common/contracts/api-error.ts';
import type { ModelPlan } from '../common/contracts/models.ts';
import type { Precision } from '../common/model-manifest.ts';
import { databaseFileIn } from '../store/store.ts';
import { BUNDLED_MODEL_ID } from './library-service.ts';
import { openTestServices, RecordingLauncher, type TestServices } from './services-test-support.ts';

const launcher = new RecordingLauncher();
let t: TestServices;
before(async () => {
  t = await openTestServices(launcher);
});
after(() => t.cleanup());

function option(plan: ModelPlan, precision: Precision) {
  return plan.plan.options.find((o) => o.precision === precision)!;
}

/** The stored measurements, read from the database file as another process would. */
function storedQuality(): Record<string, { perplexity: number | null; text: string | null }> {
  const db = new Database(databaseFileIn(t.dataDir), { readonly: true });
  try {
    const rows = db.prepare('SELECT precision, quality_perplexity, quality_text FROM model_variants WHERE model_id = ?').all(BUNDLED_MODEL_ID) as {
      precision: string;
      quality_perplexity: number | null;
      quality_text: string | null;
    }[];
    return Object.fromEntries(rows.map((r) => [r.precision, { perplexity: r.quality_perplexity, text: r.quality_text }]));
  } finally {
    db.close();
  }
}

function measuringEvents(mark: number) {
  return t.events.since(mark, 'worker.status').filter((e) => e.message?.startsWith('Measuring the quality'));
}

describe('models.measureQuality', () => {
  it("replaces the typical int4 figure with this model's own, measured on the quality text against fp32", async () => {
    const plan = (precision: Precision) => t.services.handlers['models.plan']({ modelId: BUNDLED_MODEL_ID, contextTokens: 512 }).then((p) => option(p, precision));
    const typical = await plan('int4');
    assert.equal(typical.quality.basis, 'typical');

    const mark = t.events.mark();
    const measured = await t.services.handlers['models.measureQuality']({ modelId: BUNDLED_MODEL_ID, precision: 'int4', contextTokens: 512 });
    const int4 = option(measured, 'int4');
    const stored = storedQuality();
    assert.ok(stored.fp32.perplexity! > 1 && stored.int4.perplexity! > 1, JSON.stringify(stored));
    assert.match(stored.int4.text!, /^declaration-of-independence\.txt:[0-9a-f]{16}$/);
    assert.equal(stored.fp32.text, stored.int4.text, 'both measured on the same text');

    assert.equal(int4.quality.basis, 'measured');
    assert.equal(int4.quality.perplexityIncrease, stored.int4.perplexity! / stored.fp32.perplexity! - 1);
    assert.notEqual(int4.quality.perplexityIncrease, typical.quality.perplexityIncrease);
    assert.match(int4.quality.note, /measured on this model/);
    assert.equal(option(measured, 'int8').quality.basis, 'typical', 'a precision not measured keeps the typical figure');
    assert.deepEqual(await plan('int4'), int4, 'models.plan shows the measured figure from now on');
    assert.deepEqual(measuringEvents(mark).map((e) => e.precision), ['fp32', 'int4'], 'the worker measured fp32 and int4');

    // Once per build: asking again reads the stored figures.
    const again = t.events.mark();
    const second = await t.services.handlers['models.measureQuality']({ modelId: BUNDLED_MODEL_ID, precision: 'int4' });
    assert.equal(option(second, 'int4').quality.perplexityIncrease, int4.quality.perplexityIncrease);
    assert.equal(measuringEvents(again).length, 0);

    // int8 reuses the fp32 measurement: only int8 itself is scored.
    const third = t.events.mark();
    const int8 = option(await t.services.handlers['models.measureQuality']({ modelId: BUNDLED_MODEL_ID, precision: 'int8' }), 'int8');
    assert.equal(int8.quality.basis, 'measured');
    assert.deepEqual(measuringEvents(third).map((e) => e.precision), ['int8']);
  });

  it('refuses a model that does not exist', async () => {
    await assert.rejects(t.services.handlers['models.measureQuality']({ modelId: 'no-such-model', precision: 'int4' }), (error: unknown) => error instanceof ApiError && error.code === 'not-found');
  });
});
