// What each supported architecture provides: a schema for the config.json fields it reads, the
// fold of that config into the shared ModelSpec, and the mapping from canonical weight names to
// its checkpoint's tensors. One file per architecture implements it; architecture-registry.ts
// lists them by config.json model_type.
import type { z } from 'zod';
import type { F32Tensor, ModelSpec, WeightName } from '../../common/model-spec.ts';
import type { Checkpoint } from '../checkpoint/checkpoint.ts';
import type { GenerationConfig } from './special-tokens.ts';

export interface ArchitectureDefinition<Config = unknown> {
  /** config.json model_type. */
  readonly modelType: string;
  /** zod schema of the config fields it reads (unknown fields are ignored). */
  readonly configSchema: z.ZodType<Config>;
  /** Throws ConfigError for values or features the engine does not support. */
  toSpec(config: Config, generationConfig: GenerationConfig): ModelSpec;
  /**
   * Loads a canonical weight in Hugging Face Linear layout [out, in], float32, or null if this
   * model has none (no bias, or lmHead when tied). Throws CheckpointError if it should exist but
   * the checkpoint lacks it.
   */
  loadWeight(name: WeightName, checkpoint: Checkpoint, spec: ModelSpec): Promise<F32Tensor | null>;
}
