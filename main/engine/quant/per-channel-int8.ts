// Symmetric int8 weights with one scale per output channel, laid out [in, out] as
// DynamicQuantizeMatMul and MatMulInteger take them. The loop is in quantize-kernels.ts, so that
// worker threads can run it.
import type { F32Tensor } from '../../common/model-spec.ts';
import { PER_CHANNEL_TILE, type KernelJob } from './quantize-kernels.ts';
import { weightValues } from '../checkpoint/bf16-weight.ts';
import { defaultQuantizeThreads, kernelWeight, runKernelOnThreads, THREADED_MIN_VALUES } from './quantize-threads.ts';

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
 * on up to `threads` threads (default: every core); the bytes do not depend on their number. A
 * weight read from a BF16 checkpoint is widened by those threads (checkpoint/bf16-weight.ts).
 */
export function quantizePerChannelInt8(weight: F32Tensor, threads = defaultQuantizeThreads()): PerChannelInt8 {
  const [outFeatures, inFeatures] = weight.shape;
  const job: KernelJob = {
    kernel: 'perChannelInt8',
    ...kernelWeight(weightValues(weight)),
    firstRow: 0,
    inFeatures,
    columns: outFeatures,
    quantized: new Int8Array(inFeatures * outFeatures),
    scales: new Float32Array(outFeatures),
    tile: PER_CHANNEL_TILE,
  };
  runKernelOnThreads(job, outFeatures, inFeatures, outFeatures * inFeatures >= THREADED_MIN_VALUES ? threads : 1);
  return { quantized: job.quantized, scales: job.scales, inFeatures, outFeatures };
}
