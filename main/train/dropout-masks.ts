// LoRA dropout masks drawn in JavaScript from the run's seeded generator (so a resumed run
// draws the same ones): each element is kept with probability 1 − p and scaled by 1 / (1 − p),
// as torch.nn.Dropout does in training.
import type { RandomSource } from '../engine/runtime/seeded-random.ts';

export function drawDropoutMasks(masks: readonly { name: string; inFeatures: number }[], tokens: number, p: number, random: RandomSource): Map<string, Float32Array> {
  const keep = 1 / (1 - p);
  const result = new Map<string, Float32Array>();
  for (const mask of masks) {
    const data = new Float32Array(tokens * mask.inFeatures);
    for (let i = 0; i < data.length; i++) data[i] = random.next() < p ? 0 : keep;
    result.set(mask.name, data);
  }
  return result;
}
