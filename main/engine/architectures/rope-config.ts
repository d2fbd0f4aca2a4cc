// Reads rotary position settings from either config style: transformers 5 writes
// rope_parameters {rope_theta, rope_type, factor, ...}; older configs have a top-level rope_theta
// and rope_scaling {type | rope_type, factor, low_freq_factor, high_freq_factor,
// original_max_position_embeddings}. Scaling types other than linear and llama3 change the
// frequencies in ways the builder does not implement, so they are refused, not approximated.
import { z } from 'zod';
import type { PositionSpec, RopeScaling } from '../../common/model-spec.ts';
import { ConfigError, unsupported } from './config-error.ts';

const ropeParametersSchema = z.object({
  rope_type: z.string().nullish(),
  type: z.string().nullish(),
  rope_theta: z.number().positive().nullish(),
  factor: z.number().positive().nullish(),
  low_freq_factor: z.number().positive().nullish(),
  high_freq_factor: z.number().positive().nullish(),
  original_max_position_embeddings: z.number().int().positive().nullish(),
  partial_rotary_factor: z.number().gt(0).lte(1).nullish(),
});
type RopeParameters = z.infer<typeof ropeParametersSchema>;

/** Fields every RoPE architecture's config schema includes. */
export const ropeConfigFields = {
  rope_theta: z.number().positive().nullish(),
  rope_scaling: ropeParametersSchema.nullish(),
  rope_parameters: ropeParametersSchema.nullish(),
  partial_rotary_factor: z.number().gt(0).lte(1).nullish(),
  dtype: z.string().nullish(),
  torch_dtype: z.string().nullish(),
};

type RopeConfig = { [K in keyof typeof ropeConfigFields]?: z.infer<(typeof ropeConfigFields)[K]> };

export interface RopeDefaults {
  headDim: number;
  /** Used by llama3 scaling when the config does not give original_max_position_embeddings. */
  maxPositionEmbeddings: number;
  /** The theta when the config names none in rope_parameters (architecture-specific legacy field or default). */
  theta: number;
  /** The fraction of head_dim that is rotated when the config names none. */
  partialRotaryFactor: number;
}

export const SUPPORTED_ROPE_TYPES = ['default', 'linear', 'llama3'] as const;

export function ropePositions(config: RopeConfig, defaults: RopeDefaults): PositionSpec {
  const params: RopeParameters = config.rope_parameters ?? config.rope_scaling ?? {};
  const theta = params.rope_theta ?? config.rope_theta ?? defaults.theta;
  const partial = params.partial_rotary_factor ?? config.partial_rotary_factor ?? defaults.partialRotaryFactor;
  // transformers truncates: int(head_dim * partial_rotary_factor).
  const rotaryDim = Math.floor(defaults.headDim * partial);
  if (rotaryDim < 2 || rotaryDim % 2 !== 0) {
    throw new ConfigError(`config.json: the rotary dimension head_dim × partial_rotary_factor = ${defaults.headDim} × ${partial} = ${rotaryDim} must be a positive even number.`);
  }
  return { kind: 'rope', theta, rotaryDim, scaling: ropeScaling(params, defaults), frequencyPrecision: frequencyPrecision(config) };
}

/**
 * transformers keeps the rotary inverse frequencies as a buffer that follows the model's dtype,
 * so a model saved (and run) in bfloat16 or float16 rotates with rounded frequencies. Matching
 * that keeps a half-precision checkpoint's logits equal to what transformers computes.
 */
function frequencyPrecision(config: RopeConfig): 'float32' | 'bfloat16' | 'float16' {
  const dtype = config.dtype ?? config.torch_dtype;
  return dtype === 'bfloat16' || dtype === 'float16' ? dtype : 'float32';
}

function ropeScaling(params: RopeParameters, defaults: RopeDefaults): RopeScaling | null {
  const type = params.rope_type ?? params.type ?? 'default';
  const need = (field: keyof RopeParameters): number => {
    const value = params[field];
    if (typeof value !== 'number') throw new ConfigError(`config.json: rope type "${type}" needs rope_parameters.${field} (or rope_scaling.${field}).`);
    return value;
  };
  switch (type) {
    case 'default':
      return null;
    case 'linear':
      return { type: 'linear', factor: need('factor') };
    case 'llama3':
      return {
        type: 'llama3',
        factor: need('factor'),
        lowFreqFactor: need('low_freq_factor'),
        highFreqFactor: need('high_freq_factor'),
        originalMaxPositionEmbeddings: params.original_max_position_embeddings ?? defaults.maxPositionEmbeddings,
      };
    default:
      throw unsupported(`RoPE scaling type "${type}" (supported: ${SUPPORTED_ROPE_TYPES.join(', ')})`);
  }
}
