// A model's own quantization cost, from the quality measurements kept on its variants: each
// variant's perplexity over the fp32 build's, both measured on the same quality text. A figure
// measured on another text (an older Hearth's) is never compared with one on the current text.
import type { Precision } from '../common/model-manifest.ts';
import type { ModelVariantRecord } from '../store/models-repository.ts';
import { VARIANT_ATTENTION } from './model-paths.ts';

type Measured = ModelVariantRecord & { qualityPerplexity: number; qualityText: string };

function measured(variant: ModelVariantRecord): variant is Measured {
  return variant.attention === VARIANT_ATTENTION && variant.status === 'ready' && variant.qualityPerplexity !== null && variant.qualityText !== null;
}

/** Perplexity increase over fp32 (0.004 = +0.4 %) for each precision measured alongside the fp32 build; empty without an fp32 measurement. */
export function measuredPerplexityIncrease(variants: readonly ModelVariantRecord[]): Partial<Record<Precision, number>> {
  const reference = variants.filter(measured).find((v) => v.precision === 'fp32');
  if (!reference) return {};
  const increase: Partial<Record<Precision, number>> = {};
  for (const variant of variants.filter(measured)) {
    if (variant.precision === 'fp32' || variant.qualityText !== reference.qualityText) continue;
    increase[variant.precision] = variant.qualityPerplexity / reference.qualityPerplexity - 1;
  }
  return increase;
}
