// cos/sin tables for rotary position embeddings, computed once at build time and stored as
// initializers of shape [maxPositions, rotaryDim / 2] (the layout RotaryEmbedding expects).
// Frequencies follow Hugging Face's rope initialisation, including the llama3 and linear
// scalings, so the tables match what transformers computes at run time.
import type { PositionSpec, RopeScaling } from '../../common/model-spec.ts';
import { bfloat16BitsToFloat32, float16BitsToFloat32, float32ToBfloat16Bits, float32ToFloat16Bits } from '../checkpoint/float16.ts';

type RopePositions = Extract<PositionSpec, { kind: 'rope' }>;

/** Inverse frequencies of each rotated pair, in float32 as PyTorch computes them. */
export function ropeInverseFrequencies(rope: RopePositions): Float32Array {
  const half = rope.rotaryDim / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    const exponent = Math.fround((2 * i) / rope.rotaryDim);
    inv[i] = Math.fround(1 / Math.fround(Math.pow(rope.theta, exponent)));
  }
  const scaled = rope.scaling ? applyScaling(inv, rope.scaling) : inv;
  return roundTo(scaled, rope.frequencyPrecision);
}

function roundTo(values: Float32Array, precision: RopePositions['frequencyPrecision']): Float32Array {
  if (precision === 'bfloat16') return bfloat16BitsToFloat32(float32ToBfloat16Bits(values));
  if (precision === 'float16') return float16BitsToFloat32(float32ToFloat16Bits(values));
  return values;
}

function applyScaling(inv: Float32Array, scaling: RopeScaling): Float32Array {
  if (scaling.type === 'linear') return inv.map((f) => f / scaling.factor);
  // Llama 3.x: long wavelengths are slowed by `factor`, short ones kept, the band between
  // them interpolated smoothly.
  const { factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: oldContext } = scaling;
  const lowFreqWavelen = oldContext / lowFreqFactor;
  const highFreqWavelen = oldContext / highFreqFactor;
  return inv.map((freq) => {
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < highFreqWavelen) return freq;
    if (wavelen > lowFreqWavelen) return freq / factor;
    const smooth = (oldContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
    return (1 - smooth) * (freq / factor) + smooth * freq;
  });
}

export function rotaryCosSin(rope: RopePositions, maxPositions: number): { cos: Float32Array; sin: Float32Array } {
  const inv = ropeInverseFrequencies(rope);
  const half = inv.length;
  const cos = new Float32Array(maxPositions * half);
  const sin = new Float32Array(maxPositions * half);
  for (let p = 0; p < maxPositions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(p * inv[i]);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}
