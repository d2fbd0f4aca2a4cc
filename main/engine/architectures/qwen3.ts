// Qwen3: the llama-family decoder with an RMS norm over each head of q and k (q_norm, k_norm),
// optional attention biases (attention_bias), and head_dim 128 when the config omits it.
import { z } from 'zod';
import type { ArchitectureDefinition } from './architecture.ts';
import { llamaFamilyConfigFields, llamaFamilySpec, loadLlamaFamilyWeight } from './llama-family.ts';
import { qwenSlidingWindow, qwenSlidingWindowFields } from './qwen-sliding-window.ts';

const configSchema = z.object({
  ...llamaFamilyConfigFields,
  ...qwenSlidingWindowFields,
  attention_bias: z.boolean().nullish(),
});

export const qwen3: ArchitectureDefinition<z.infer<typeof configSchema>> = {
  modelType: 'qwen3',
  configSchema,
  toSpec(config, generationConfig) {
    return llamaFamilySpec(config, generationConfig, {
      architecture: 'qwen3',
      defaults: { headDim: 128, maxPositionEmbeddings: 32768, rmsNormEps: 1e-6, tieWordEmbeddings: false, hiddenAct: 'silu' },
      qkvBias: config.attention_bias ?? false,
      outBias: config.attention_bias ?? false,
      mlpBias: false,
      qkNorm: true,
      slidingWindow: qwenSlidingWindow(config),
      normWeightOffset: 0,
      embeddingScale: null,
    });
  },
  loadWeight: (name, checkpoint, spec) => loadLlamaFamilyWeight(name, checkpoint, spec),
};
