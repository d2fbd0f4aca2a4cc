// Qwen2 (and Qwen2.5): the llama-family decoder with biases on q, k and v (not o).
import { z } from 'zod';
import type { ArchitectureDefinition } from './architecture.ts';
import { llamaFamilyConfigFields, llamaFamilySpec, loadLlamaFamilyWeight } from './llama-family.ts';
import { qwenSlidingWindow, qwenSlidingWindowFields } from './qwen-sliding-window.ts';

const configSchema = z.object({ ...llamaFamilyConfigFields, ...qwenSlidingWindowFields });

export const qwen2: ArchitectureDefinition<z.infer<typeof configSchema>> = {
  modelType: 'qwen2',
  configSchema,
  toSpec(config, generationConfig) {
    return llamaFamilySpec(config, generationConfig, {
      architecture: 'qwen2',
      defaults: { headDim: null, maxPositionEmbeddings: 32768, rmsNormEps: 1e-6, tieWordEmbeddings: false, hiddenAct: 'silu' },
      qkvBias: true,
      outBias: false,
      mlpBias: false,
      qkNorm: false,
      slidingWindow: qwenSlidingWindow(config),
      normWeightOffset: 0,
      embeddingScale: null,
    });
  },
  loadWeight: (name, checkpoint, spec) => loadLlamaFamilyWeight(name, checkpoint, spec),
};
