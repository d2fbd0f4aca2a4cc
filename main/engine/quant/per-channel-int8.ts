// Symmetric int8 weights with one scale per output channel, laid out [in, out] as
// DynamicQuantizeMatMul and MatMulInteger take them. The loop is in quantize-kernels.ts, so that
// worker threads can run it.
import type { F32Tensor } from '../../common/model-spec.ts';
import { PER_CHANNEL_TILE, type KernelJob } from './quantize-kernels.ts';
import { defaultQuantizeThreads, runKernelOnThreads, THREADED_MIN_VALUES } from './quantize-threads.ts';

export interface PerChannelInt8 {
  /** [inFeatures, outFeatures], row-major. */
  quantized: Int8Array;
  /** [outFeatures]: w ≈ q * scale. */
  scales: Float32Array;
  inFeatures: number;
  outFeatures: number;
}

/**
 * Quantizes an HF Linear weight [out, in]: scale = max|w| / 127 per output row, q = round(w / scale),
 * on up to `threads` threads (default: every core); the bytes do not depend on their number.
 */
export function quantizePerChannelInt8(weight: F32Tensor, threads = defaultQuantizeThreads()): PerChannelInt8 {
  const [outFeatures, inFeatures] = weight.shape;
  const job: KernelJob = {
    kernel: 'perChannelInt8',
    weight: weight.data,
    firstRow: 0,
    inFeatures,
    columns: outFeatures,
    quantized: new Int8Array(inFeatures * outFeatures),
    scales: new Float32Array(outFeatures),
    tile: PER_CHANNEL_TILE,
  };
  runKernelOnThreads(job, outFeatures, inFeatures, weight.data.length >= THREADED_MIN_VALUES ? threads : 1);
  return { quantized: job.quantized, scales: job.scales, inFeatures, outFeatures };
}
