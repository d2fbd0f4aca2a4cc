import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Precision } from '../common/model-manifest.ts';
import type { ModelVariantRecord } from '../store/models-repository.ts';
import { measuredPerplexityIncrease } from './measured-perplexity-increase.ts';

function variant(precision: Precision, qualityPerplexity: number | null, qualityText: string | null = 'text.txt:aaaa', patch: Partial<ModelVariantRecord> = {}): ModelVariantRecord {
  return {
    id: `v-${precision}`,
    modelId: 'm',
    precision,
    attention: 'fused',
    dir: `/models/m/${precision}-fused`,
    weightBytes: 1,
    status: 'ready',
    error: null,
    measuredPeakBytes: null,
    qualityPerplexity,
    qualityText,
    createdAt: 0,
    ...patch,
  };
}

test('each measured precision against the fp32 build on the same text', () => {
  const increase = measuredPerplexityIncrease([variant('fp32', 20), variant('int8', 20.02), variant('int4', 20.3), variant('fp16', null)]);
  assert.deepEqual(Object.keys(increase).sort(), ['int4', 'int8']);
  assert.ok(Math.abs(increase.int8! - 0.001) < 1e-12);
  assert.ok(Math.abs(increase.int4! - 0.015) < 1e-12);
});

test('nothing without an fp32 measurement, and nothing compared across texts, failed builds or reference attention', () => {
  assert.deepEqual(measuredPerplexityIncrease([variant('int4', 20.3)]), {});
  assert.deepEqual(measuredPerplexityIncrease([variant('fp32', 20), variant('int4', 20.3, 'text.txt:bbbb')]), {});
  assert.deepEqual(measuredPerplexityIncrease([variant('fp32', 20), variant('int4', 20.3, undefined, { status: 'failed' })]), {});
  assert.deepEqual(measuredPerplexityIncrease([variant('fp32', 20, undefined, { attention: 'reference' }), variant('int4', 20.3)]), {});
});
