// zod building blocks shared by the architecture config schemas.
import { z } from 'zod';

export const positiveInt = z.number().int().positive();
export const positiveNumber = z.number().positive();

/**
 * The most attention heads a config may claim. ALiBi (BLOOM, MPT) makes a slope per head while
 * the spec is made, before the weights are checked against the config, so a corrupt count
 * (a billion heads) would exhaust memory there; released models have at most a few hundred.
 */
export const MAX_ATTENTION_HEADS = 4096;
export const attentionHeadCount = positiveInt.max(MAX_ATTENTION_HEADS, {
  message: `more attention heads than any model has (at most ${MAX_ATTENTION_HEADS}): config.json looks corrupt; download the model again`,
});
