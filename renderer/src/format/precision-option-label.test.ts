import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PrecisionPlanSchema } from '../../../main/common/precision-plan-contract.ts';
import type { PrecisionOption, PrecisionPlan } from '../../../main/common/precision-plan-contract.ts';
import { precisionChoices, qualityText } from './precision-option-label.ts';

const MB = 1024 * 1024;

function option(precision: PrecisionOption['precision'], memoryMb: number, fit: PrecisionOption['fit'], increase: number | null): PrecisionOption {
  return {
    precision,
    weightBytes: memoryMb * MB * 0.8,
    memoryBytes: memoryMb * MB,
    fit,
    device: fit === 'does-not-fit' ? null : 'cpu',
    cpuReason: fit === 'does-not-fit' ? null : 'no GPU found',
    quality: {
      perplexityIncrease: increase,
      basis: precision === 'fp32' ? 'reference' : increase === null ? 'unmeasured' : 'measured',
      measuredOn: null,
      note: increase === null ? 'not measured' : `about +${(increase * 100).toFixed(1)} % perplexity (measured on demo)`,
    },
    note: null,
  };
}

const plan: PrecisionPlan = PrecisionPlanSchema.parse({
  contextTokens: 2048,
  headroom: 0.1,
  gpu: null,
  ramBudgetBytes: 100 * MB,
  options: [option('fp32', 120, 'does-not-fit', 0), option('fp16', 60, 'fits-ram-cpu', 0.0001), option('int8', 12, 'fits-ram-cpu', 0.001), option('int4', 7, 'fits-ram-cpu', null)],
  recommended: { precision: 'int8', device: 'cpu' },
  cpuReason: 'no GPU found',
  message: 'int8 on the CPU, 12 MB',
});

test('each option reads: precision — memory — fit — quality, and the pick is marked', () => {
  const choices = precisionChoices(plan);
  assert.deepEqual(
    choices.map((c) => c.label),
    [
      'fp32 — 96 MB (120 MB in memory) — does not fit: needs 120 MB, only 90 MB of RAM usable — reference quality',
      'fp16 — 48 MB (60 MB in memory) — fits in RAM (CPU) — +0.0 % perplexity (measured on this model)',
      'int8 — 9.6 MB (12 MB in memory) — fits in RAM (CPU) — +0.1 % perplexity (measured on this model) (recommended)',
      'int4 — 5.6 MB (7 MB in memory) — fits in RAM (CPU) — quality not measured',
    ],
  );
  assert.deepEqual(
    choices.map((c) => c.disabled),
    [true, false, false, false],
  );
  assert.deepEqual(
    choices.filter((c) => c.recommended).map((c) => c.value),
    ['int8'],
  );
});

test('the detail says why an option runs on the CPU unless the plan already says the same', () => {
  const int8 = precisionChoices(plan).find((c) => c.value === 'int8');
  assert.doesNotMatch(int8?.detail ?? '', /Runs on the CPU/);
  assert.match(int8?.detail ?? '', /measured on demo/);
  const gpuPlan = { ...plan, cpuReason: null, recommended: { precision: 'fp16' as const, device: 'gpu' as const } };
  assert.match(precisionChoices(gpuPlan).find((c) => c.value === 'int8')?.detail ?? '', /Runs on the CPU: no GPU found/);
});

test('a GPU budget is named in the reason an option does not fit', () => {
  const withGpu = { ...plan, gpu: { name: 'RTX 4060', budgetBytes: 50 * MB } };
  assert.match(precisionChoices(withGpu)[0].label, /only 45 MB on RTX 4060 or 90 MB of RAM usable/);
});

test('a typical figure names the other model it was measured on; a measured one says it is this model\'s', () => {
  const typical = { ...option('int4', 7, 'fits-ram-cpu', 0.006), quality: { perplexityIncrease: 0.006, basis: 'typical' as const, measuredOn: 'shakespeare-5m', note: '' } };
  assert.equal(qualityText(typical), '+0.6 % perplexity (typical, measured on shakespeare-5m)');
  const measured = { ...typical, quality: { perplexityIncrease: 0.0021, basis: 'measured' as const, measuredOn: null, note: '' } };
  assert.equal(qualityText(measured), '+0.2 % perplexity (measured on this model)');
});

test("a GGUF model's own weights read as the file's type, as downloaded, first and recommended", () => {
  const gguf: PrecisionPlan = PrecisionPlanSchema.parse({
    ...plan,
    options: [{ ...option('fp32', 8, 'fits-ram-cpu', 0), weightBytes: 3 * MB, asDownloaded: 'Q4_K_M' }, ...plan.options.slice(1)],
    recommended: { precision: 'fp32', device: 'cpu' },
  });
  const [first, ...rest] = precisionChoices(gguf);
  assert.equal(first.value, 'fp32');
  assert.equal(first.label, 'Q4_K_M (as downloaded) — 3 MB (8 MB in memory) — fits in RAM (CPU) — reference quality (recommended)');
  assert.ok(rest.every((choice) => choice.label.startsWith(choice.value + ' — ')), 'the precisions Hearth builds keep their names');
});
