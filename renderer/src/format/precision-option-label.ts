// How each precision reads in the Quantization dropdown: the precision, its size (the weights, and
// the planned peak memory with the KV cache and workspace at the context length), where it fits,
// and what it costs in quality — e.g. "int8 — 12 MB (20 MB in memory) — fits in RAM (CPU) — +0.1 %
// perplexity (recommended)". A GGUF model's own weights read "Q4_K_M (as downloaded) — …".
// An option that fits nowhere says so and why, and is disabled.
import { precisionOptionName, type FitBadge, type PrecisionOption, type PrecisionPlan } from '../../../main/common/precision-plan-contract.ts';
import { formatBytes } from './format-bytes.ts';

export const FIT_BADGE_TEXT: Record<FitBadge, string> = {
  'fits-gpu': 'fits on GPU',
  'fits-ram-cpu': 'fits in RAM (CPU)',
  'does-not-fit': 'does not fit',
};

/**
 * "+0.4 % perplexity (measured on this model)", "+0.6 % perplexity (typical, measured on
 * shakespeare-5m)", "reference quality" (fp32), "quality not measured": a figure from another
 * model always says so, because it is not what this model loses.
 */
export function qualityText(option: PrecisionOption): string {
  const { perplexityIncrease, basis, measuredOn } = option.quality;
  if (basis === 'reference') return 'reference quality';
  if (perplexityIncrease === null) return 'quality not measured';
  const percent = perplexityIncrease * 100;
  const sign = percent < 0 ? '−' : '+';
  const source = basis === 'typical' ? ` (typical, measured on ${measuredOn ?? 'another model'})` : ' (measured on this model)';
  return `${sign}${Math.abs(percent).toFixed(1)} % perplexity${source}`;
}

/** Why an option that fits nowhere cannot be used: its need against the budgets. */
export function doesNotFitReason(option: PrecisionOption, plan: PrecisionPlan): string {
  const usable = 1 - plan.headroom;
  const places = [`${formatBytes(plan.ramBudgetBytes * usable)} of RAM`];
  if (plan.gpu) places.unshift(`${formatBytes(plan.gpu.budgetBytes * usable)} on ${plan.gpu.name}`);
  return `needs ${formatBytes(option.memoryBytes)}, only ${places.join(' or ')} usable`;
}

export interface PrecisionChoice {
  value: PrecisionOption['precision'];
  label: string;
  disabled: boolean;
  recommended: boolean;
  /** The longer explanation (quality note, a CPU reason the plan's message does not give, notes). */
  detail: string;
}

export function precisionChoice(option: PrecisionOption, plan: PrecisionPlan): PrecisionChoice {
  const recommended = plan.recommended?.precision === option.precision;
  const fits = option.fit !== 'does-not-fit';
  const parts = [precisionOptionName(option), `${formatBytes(option.weightBytes)} (${formatBytes(option.memoryBytes)} in memory)`];
  parts.push(fits ? FIT_BADGE_TEXT[option.fit] : `${FIT_BADGE_TEXT[option.fit]}: ${doesNotFitReason(option, plan)}`);
  parts.push(qualityText(option));
  const label = parts.join(' — ') + (recommended ? ' (recommended)' : '');
  const detail = [
    option.quality.note,
    option.device === 'cpu' && option.cpuReason && option.cpuReason !== plan.cpuReason ? `Runs on the CPU: ${option.cpuReason}` : null,
    option.note,
  ]
    .filter((part): part is string => Boolean(part))
    .join(' · ');
  return { value: option.precision, label, disabled: !fits, recommended, detail };
}

export function precisionChoices(plan: PrecisionPlan): PrecisionChoice[] {
  return plan.options.map((option) => precisionChoice(option, plan));
}
