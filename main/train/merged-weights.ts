// Folding a LoRA adapter into base weights: W' = W + (alpha / r) · B·A. Used to write a merged
// Hugging Face folder and to build a model with an adapter applied (chat with base + adapter).
import type { F32Tensor, WeightName } from '../common/model-spec.ts';
import type { ModelSource } from '../engine/architectures/model-source.ts';
import { loraScaling, type LoraAdapter, type LoraModuleWeights } from './lora-adapter.ts';
import type { LoraModuleName } from './lora-targets.ts';

/** W + scaling · B·A for one module; W is [out, in] float32. A new array; W is left as it is. */
export function mergeModuleWeight(weight: Float32Array, module: LoraModuleWeights, r: number, scaling: number): Float32Array {
  const { inFeatures, outFeatures, a, b } = module;
  if (weight.length !== inFeatures * outFeatures) throw new Error(`${module.path}: the base weight has ${weight.length} values, the adapter expects ${outFeatures} x ${inFeatures}.`);
  const merged = Float32Array.from(weight);
  const row = new Float64Array(inFeatures);
  for (let o = 0; o < outFeatures; o++) {
    row.fill(0);
    for (let k = 0; k < r; k++) {
      const coefficient = b[o * r + k];
      if (coefficient === 0) continue;
      const aRow = k * inFeatures;
      for (let i = 0; i < inFeatures; i++) row[i] += coefficient * a[aRow + i];
    }
    const base = o * inFeatures;
    for (let i = 0; i < inFeatures; i++) merged[base + i] += scaling * row[i];
  }
  return merged;
}

/** The canonical weight name (see ModelSpec) of each LoRA module. */
const CANONICAL: Record<LoraModuleName, string> = {
  q_proj: 'q',
  k_proj: 'k',
  v_proj: 'v',
  o_proj: 'o',
  gate_proj: 'gate',
  up_proj: 'up',
  down_proj: 'down',
};

export function canonicalWeightName(module: LoraModuleWeights): WeightName {
  const layer = Number(module.path.split('.')[2]);
  return `layers.${layer}.${CANONICAL[module.module]}.weight` as WeightName;
}

/** A model source whose targeted weights come back merged with the adapter. */
export function adaptedModelSource<Source extends Pick<ModelSource, 'spec' | 'weight'>>(source: Source, adapter: LoraAdapter): Source {
  const byWeight = new Map(adapter.modules.map((m) => [canonicalWeightName(m), m]));
  const scaling = loraScaling(adapter.settings);
  const weight = async (name: WeightName): Promise<F32Tensor | null> => {
    const tensor = await source.weight(name);
    const module = byWeight.get(name);
    if (!tensor || !module) return tensor;
    return { shape: tensor.shape, data: mergeModuleWeight(tensor.data, module, adapter.settings.r, scaling) };
  };
  return { ...source, weight };
}
