// Phi-3: the llama-family decoder with fused projections (qkv_proj rows [q; k; v], gate_up_proj
// rows [gate; up]), which loadWeight splits; partial_rotary_factor and sliding_window if present.
import { z } from 'zod';
import type { ArchitectureDefinition } from './architecture.ts';
import { positiveInt } from './config-fields.ts';
import { llamaFamilyConfigFields, llamaFamilySpec, loadLlamaFamilyWeight } from './llama-family.ts';

const configSchema = z.object({
  ...llamaFamilyConfigFields,
  sliding_window: positiveInt.nullish(),
});

export const phi3: ArchitectureDefinition<z.infer<typeof configSchema>> = {
  modelType: 'phi3',
  configSchema,
  toSpec(config, generationConfig) {
    return llamaFamilySpec(config, generationConfig, {
      architecture: 'phi3',
      defaults: { headDim: null, maxPositionEmbeddings: 4096, rmsNormEps: 1e-5, tieWordEmbeddings: false, hiddenAct: 'silu' },
      qkvBias: false,
      outBias: false,
      mlpBias: false,
      qkNorm: false,
      slidingWindow: config.sliding_window ?? null,
      normWeightOffset: 0,
      embeddingScale: null,
    });
  },
  loadWeight: (name, checkpoint, spec) => loadLlamaFamilyWeight(name, checkpoint, spec, { fusedProjections: true }),
};
