// Mistral: the llama-family decoder with a sliding attention window (sliding_window; transformers
// uses 4096 when the field is absent, none when it is null).
import { z } from 'zod';
import type { ArchitectureDefinition } from './architecture.ts';
import { positiveInt } from './config-fields.ts';
import { llamaFamilyConfigFields, llamaFamilySpec, loadLlamaFamilyWeight } from './llama-family.ts';

const configSchema = z.object({
  ...llamaFamilyConfigFields,
  sliding_window: positiveInt.nullish(),
});

export const mistral: ArchitectureDefinition<z.infer<typeof configSchema>> = {
  modelType: 'mistral',
  configSchema,
  toSpec(config, generationConfig) {
    return llamaFamilySpec(config, generationConfig, {
      architecture: 'mistral',
      defaults: { headDim: null, maxPositionEmbeddings: 4096 * 32, rmsNormEps: 1e-6, tieWordEmbeddings: false, hiddenAct: 'silu' },
      qkvBias: false,
      outBias: false,
      mlpBias: false,
      qkNorm: false,
      slidingWindow: config.sliding_window === undefined ? 4096 : config.sliding_window,
      normWeightOffset: 0,
      embeddingScale: null,
    });
  },
  loadWeight: (name, checkpoint, spec) => loadLlamaFamilyWeight(name, checkpoint, spec),
};
