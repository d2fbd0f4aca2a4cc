// Symmetric int8 weights with one scale per output channel, laid out [in, out] as
// DynamicQuantizeMatMul and MatMulInteger take them.
import type { F32Tensor } from '../../common/model-spec.ts';

export interface PerChannelInt8 {
  /** [inFeatures, outFeatures], row-major. */
  quantized: Int8Array;
  /** [outFeatures]: w ≈ q * scale. */
  scales: Float32Array;
  inFeatures: number;
  outFeatures: number;
}

/** Quantizes an HF Linear weight [out, in]: scale = max|w| / 127 per output row, q = round(w / scale). */
export function quantizePerChannelInt8(weight: F32Tensor): PerChannelInt8 {
  const [outFeatures, inFeatures] = weight.shape;
  const quantized = new Int8Array(inFeatures * outFeatures);
  const scales = new Float32Array(outFeatures);
  for (let n = 0; n < outFeatures; n++) {
    const row = weight.data.subarray(n * inFeatures, (n + 1) * inFeatures);
    let max = 0;
    for (let k = 0; k < inFeatures; k++) max = Math.max(max, Math.abs(row[k]));
    const scale = max / 127 || 1; // an all-zero row: any scale reproduces it
    scales[n] = scale;
    for (let k = 0; k < inFeatures; k++) quantized[k * outFeatures + n] = Math.round(row[k] / scale);
  }
  return { quantized, scales, inFeatures, outFeatures };
}
