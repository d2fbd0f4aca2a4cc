// bos/eos/pad token ids, which config.json and generation_config.json may both give. Like
// transformers' generate(), the generation config wins; eos may be one id or a list of them.
import { z } from 'zod';

const tokenId = z.number().int().nonnegative().nullish();
const tokenIds = z.union([z.number().int().nonnegative(), z.array(z.number().int().nonnegative())]).nullish();

/** Fields every architecture's config schema includes. */
export const specialTokenFields = {
  bos_token_id: tokenId,
  eos_token_id: tokenIds,
  pad_token_id: tokenId,
};

export const generationConfigSchema = z.object(specialTokenFields);
export type GenerationConfig = z.infer<typeof generationConfigSchema>;

type TokenFields = GenerationConfig;

export interface SpecialTokens {
  bosTokenId: number | null;
  eosTokenIds: number[];
  padTokenId: number | null;
}

export function resolveSpecialTokens(config: TokenFields, generationConfig: TokenFields): SpecialTokens {
  const eos = generationConfig.eos_token_id ?? config.eos_token_id ?? null;
  return {
    bosTokenId: generationConfig.bos_token_id ?? config.bos_token_id ?? null,
    eosTokenIds: eos === null ? [] : Array.isArray(eos) ? [...eos] : [eos],
    padTokenId: generationConfig.pad_token_id ?? config.pad_token_id ?? null,
  };
}
