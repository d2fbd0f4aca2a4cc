// Llama (1, 2, 3.x): the plain llama-family decoder; attention_bias adds biases to q, k, v and o,
// mlp_bias to gate, up and down.
import { z } from 'zod';
import type { ArchitectureDefinition } from './architecture.ts';
import { llamaFamilyConfigFields, llamaFamilySpec, loadLlamaFamilyWeight } from './llama-family.ts';

const configSchema = z.object({
  ...llamaFamilyConfigFields,
  attention_bias: z.boolean().nullish(),
  mlp_bias: z.boolean().nullish(),
});

export const llama: ArchitectureDefinition<z.infer<typeof configSchema>> = {
  modelType: 'llama',
  configSchema,
  toSpec(config, generationConfig) {
    return llamaFamilySpec(config, generationConfig, {
      architecture: 'llama',
      defaults: { headDim: null, maxPositionEmbeddings: 2048, rmsNormEps: 1e-6, tieWordEmbeddings: false, hiddenAct: 'silu' },
      qkvBias: config.attention_bias ?? false,
      outBias: config.attention_bias ?? false,
      mlpBias: config.mlp_bias ?? false,
      qkNorm: false,
      slidingWindow: null,
      normWeightOffset: 0,
      embeddingScale: null,
    });
  },
  loadWeight: (name, checkpoint, spec) => loadLlamaFamilyWeight(name, checkpoint, spec),
};
