// A LoRA adapter in memory: its hyperparameters and, per targeted module, the A [r, in] and
// B [out, r] matrices, stored as PEFT stores them. The update a module adds to its layer is
// y += (alpha / r) · (x Aᵀ) Bᵀ, i.e. W_eff = W + (alpha / r) · B·A.
import type { ModelSpec } from '../common/model-spec.ts';
import { SeededRandom } from '../engine/runtime/seeded-random.ts';
import { targetLayerModules, type LoraModuleName } from './lora-targets.ts';

export interface LoraSettings {
  r: number;
  alpha: number;
  dropout: number;
  targetModules: LoraModuleName[];
  /** PEFT's fan_in_fan_out: set for GPT-2's Conv1D layers, whose weights are stored [in, out]. */
  fanInFanOut?: boolean;
}

export interface LoraModuleWeights {
  /** `model.layers.0.self_attn.q_proj` */
  path: string;
  module: LoraModuleName;
  /** [r, in] */
  a: Float32Array;
  /** [out, r] */
  b: Float32Array;
  inFeatures: number;
  outFeatures: number;
}

export interface LoraAdapter {
  settings: LoraSettings;
  modules: LoraModuleWeights[];
}

/** One trainable tensor as the training graph names it: `<module path>.lora_A.weight`. */
export interface LoraParameter {
  name: string;
  shape: [number, number];
  data: Float32Array;
}

export function loraScaling(settings: Pick<LoraSettings, 'r' | 'alpha'>): number {
  return settings.alpha / settings.r;
}

export const loraAName = (path: string): string => `${path}.lora_A.weight`;
export const loraBName = (path: string): string => `${path}.lora_B.weight`;

/**
 * A fresh adapter as PEFT initializes one: A Kaiming-uniform with a = √5, i.e. uniform in
 * ±1/√in_features, and B zero, so training starts from the base model exactly.
 */
export function initLoraAdapter(spec: ModelSpec, settings: LoraSettings, seed: number): LoraAdapter {
  const random = new SeededRandom(seed);
  const targeted = targetLayerModules(spec, settings.targetModules);
  const modules = targeted.map(({ path, module, outFeatures, inFeatures }) => {
    const bound = 1 / Math.sqrt(inFeatures);
    const a = Float32Array.from({ length: settings.r * inFeatures }, () => (random.next() * 2 - 1) * bound);
    return { path, module, a, b: new Float32Array(outFeatures * settings.r), inFeatures, outFeatures };
  });
  return { settings: targeted.some((m) => m.conv1d) ? { ...settings, fanInFanOut: true } : settings, modules };
}

/** The adapter's tensors in training-graph order: A then B of each module. */
export function loraParameters(adapter: LoraAdapter): LoraParameter[] {
  const { r } = adapter.settings;
  return adapter.modules.flatMap((m) => [
    { name: loraAName(m.path), shape: [r, m.inFeatures] as [number, number], data: m.a },
    { name: loraBName(m.path), shape: [m.outFeatures, r] as [number, number], data: m.b },
  ]);
}

/** A deep copy, so an optimizer can update one while another is saved. */
export function cloneLoraAdapter(adapter: LoraAdapter): LoraAdapter {
  return {
    settings: { ...adapter.settings, targetModules: [...adapter.settings.targetModules] },
    modules: adapter.modules.map((m) => ({ ...m, a: Float32Array.from(m.a), b: Float32Array.from(m.b) })),
  };
}
