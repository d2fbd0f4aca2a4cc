// Gemma (1): the llama-family decoder whose RMSNorm multiplies by (1 + weight), whose embedding
// output is scaled by sqrt(hidden_size), with a tanh-approximated GELU and tied embeddings.
// loadWeight returns norm weights with the 1 already added (spec.norm.weightOffset = 1 records it).
import { z } from 'zod';
import type { ArchitectureDefinition } from './architecture.ts';
import { activationFromConfig } from './activation.ts';
import { llamaFamilyConfigFields, llamaFamilySpec, loadLlamaFamilyWeight } from './llama-family.ts';

const configSchema = z.object({
  ...llamaFamilyConfigFields,
  // Hub configs carry hidden_act "gelu" next to hidden_activation "gelu_pytorch_tanh", the one Gemma was trained with.
  hidden_activation: z.string().nullish(),
  attention_bias: z.boolean().nullish(),
});

export const gemma: ArchitectureDefinition<z.infer<typeof configSchema>> = {
  modelType: 'gemma',
  configSchema,
  toSpec(config, generationConfig) {
    const activationName = config.hidden_activation ?? config.hidden_act ?? 'gelu_pytorch_tanh';
    return llamaFamilySpec(config, generationConfig, {
      architecture: 'gemma',
      defaults: { headDim: 256, maxPositionEmbeddings: 8192, rmsNormEps: 1e-6, tieWordEmbeddings: true, hiddenAct: 'gelu_pytorch_tanh' },
      qkvBias: config.attention_bias ?? false,
      outBias: config.attention_bias ?? false,
      mlpBias: false,
      qkNorm: false,
      slidingWindow: null,
      normWeightOffset: 1,
      embeddingScale: Math.sqrt(config.hidden_size),
      activation: activationFromConfig(activationName, config.hidden_activation ? 'hidden_activation' : 'hidden_act'),
    });
  },
  loadWeight: (name, checkpoint, spec) => loadLlamaFamilyWeight(name, checkpoint, spec),
};
