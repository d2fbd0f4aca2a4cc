// Folding a LoRA adapter into base weights: W' = W + (alpha / r) · B·A. Used to write a merged
// Hugging Face folder and to build a model with an adapter applied (chat with base + adapter).
// The merge happens on the checkpoint's own tensors, named and laid out as PEFT sees them, so
// fused modules (phi3's qkv_proj, BLOOM's query_key_value, ...) take B·A whole and the
// architecture's loader then splits the merged tensor as it splits any other; GPT-2's Conv1D
// weights, stored [in, out], take (B·A)ᵀ, as PEFT does with fan_in_fan_out.
import type { F32Tensor, WeightName } from '../common/model-spec.ts';
import type { Checkpoint } from '../engine/checkpoint/checkpoint.ts';
import { canonicalWeight, type ModelSource } from '../engine/architectures/model-source.ts';
import { loraScaling, type LoraAdapter, type LoraModuleWeights } from './lora-adapter.ts';

/**
 * W + scaling · B·A for one module; W is [out, in] float32, or [in, out] when `fanInFanOut`
 * (Conv1D). A new array; W is left as it is.
 */
export function mergeModuleWeight(weight: Float32Array, module: LoraModuleWeights, r: number, scaling: number, fanInFanOut = false): Float32Array {
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
    if (fanInFanOut) {
      for (let i = 0; i < inFeatures; i++) merged[i * outFeatures + o] += scaling * row[i];
    } else {
      const base = o * inFeatures;
      for (let i = 0; i < inFeatures; i++) merged[base + i] += scaling * row[i];
    }
  }
  return merged;
}

/**
 * The adapter's modules by the checkpoint tensor each one changes: `<path>.weight`, or the same
 * without the saving class's prefix (`model.`, `transformer.`, `gpt_neox.`) where the checkpoint
 * was saved without it.
 */
export function modulesByTensorName(adapter: LoraAdapter, checkpoint: Pick<Checkpoint, 'has'>): Map<string, LoraModuleWeights> {
  const byName = new Map<string, LoraModuleWeights>();
  for (const module of adapter.modules) {
    const full = `${module.path}.weight`;
    const unprefixed = full.slice(full.indexOf('.') + 1);
    byName.set(checkpoint.has(full) || !checkpoint.has(unprefixed) ? full : unprefixed, module);
  }
  return byName;
}

/** A checkpoint whose targeted tensors read back merged with the adapter. */
export function adaptedCheckpoint(checkpoint: Checkpoint, adapter: LoraAdapter): Checkpoint {
  const byName = modulesByTensorName(adapter, checkpoint);
  const scaling = loraScaling(adapter.settings);
  const fanInFanOut = adapter.settings.fanInFanOut ?? false;
  // q, k and v are each read from one fused tensor: keep the last merge rather than redo it thrice.
  let last: { name: string; tensor: Promise<F32Tensor> } | null = null;
  const readF32 = (name: string): Promise<F32Tensor> => {
    const module = byName.get(name);
    if (!module) return checkpoint.readF32(name);
    if (last?.name !== name) {
      const tensor = checkpoint.readF32(name).then((base) => ({ shape: base.shape, data: mergeModuleWeight(base.data, module, adapter.settings.r, scaling, fanInFanOut) }));
      last = { name, tensor };
    }
    return last.tensor;
  };
  return { dir: checkpoint.dir, tensors: checkpoint.tensors, has: (name) => checkpoint.has(name), readF32, close: () => checkpoint.close() };
}

/** A model source whose canonical weights come from the checkpoint merged with the adapter. */
export function adaptedModelSource(source: ModelSource, adapter: LoraAdapter): ModelSource {
  const missing = [...modulesByTensorName(adapter, source.checkpoint).keys()].filter((name) => !source.checkpoint.has(name));
  if (missing.length > 0) throw new Error(`${source.checkpoint.dir} has no tensor ${missing[0]}, which the adapter changes: the adapter belongs to another model.`);
  const merged = adaptedCheckpoint(source.checkpoint, adapter);
  const weight = (name: WeightName): Promise<F32Tensor | null> => canonicalWeight(source.architecture, source.spec, merged, name);
  return { ...source, weight };
}
