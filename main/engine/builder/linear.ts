// A linear layer y = x W^T + b at the build's precision. fp32/fp16 store W transposed for
// MatMul; int8/int4 store it packed for MatMulNBits (weight-only quantization, dequantized
// inside the matmul), block 32, symmetric, accuracy level 4 (int8 compute) as on CPU.
import type { F32Tensor } from '../../common/model-spec.ts';
import { attr, DataType } from '../onnx/graph.ts';
import { quantizeMatMulNBits } from '../quant/matmul-nbits.ts';
import type { BuildContext } from './build-context.ts';

export const QUANT_BLOCK_SIZE = 32;

/**
 * Layers whose inputs carry outlier channels that one per-tensor activation scale handles
 * badly (the LLM.int8() observation): they keep blockwise weights even with the dynamic int8
 * kernel. On shakespeare-5m, dynamic int8 everywhere cost +0.23 % perplexity; with down_proj
 * kept blockwise, -0.02 %.
 */
const KEEP_BLOCKWISE = /down_proj/;
export const CPU_ACCURACY_LEVEL = 4;

export interface LinearWeights {
  weight: F32Tensor; // [out, in]
  bias: F32Tensor | null;
}

export function emitLinear(ctx: BuildContext, x: string, name: string, { weight, bias }: LinearWeights): string {
  const [outFeatures, inFeatures] = weight.shape;
  const { g } = ctx;
  let y: string;
  if (ctx.precision === 'int8' && ctx.int8Kernel === 'dynamic' && !KEEP_BLOCKWISE.test(name)) {
    y = emitDynamicInt8(ctx, x, name, weight);
  } else if (ctx.precision === 'int8' || ctx.precision === 'int4') {
    const bits = ctx.precision === 'int8' ? 8 : 4;
    const q = quantizeMatMulNBits(weight.data, outFeatures, inFeatures, {
      bits,
      blockSize: QUANT_BLOCK_SIZE,
      symmetric: true,
      clipSearch: bits === 4,
    });
    const packed = g.initializer(`${name}.weight_q${bits}`, DataType.UINT8, [outFeatures, q.kBlocks, q.blobSize], q.packed);
    const scales = ctx.floatInitializer(`${name}.scales`, [outFeatures, q.kBlocks], q.scales);
    y = g.op(
      'MatMulNBits',
      [x, packed, scales],
      {
        K: attr.int(inFeatures),
        N: attr.int(outFeatures),
        bits: attr.int(bits),
        block_size: attr.int(QUANT_BLOCK_SIZE),
        accuracy_level: attr.int(CPU_ACCURACY_LEVEL),
      },
      { domain: 'com.microsoft', name: `${name}/MatMulNBits` },
    );
  } else {
    const transposed = transpose(weight.data, outFeatures, inFeatures);
    const w = ctx.floatInitializer(`${name}.weight`, [inFeatures, outFeatures], transposed);
    y = g.op('MatMul', [x, w], {}, { name: `${name}/MatMul` });
  }
  if (bias) y = g.op('Add', [y, ctx.floatInitializer(`${name}.bias`, [outFeatures], bias.data)], {}, { name: `${name}/Add` });
  return y;
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[base + c];
  }
  return out;
}

/**
 * int8 weights per output channel, with activations quantized to uint8 per call: onnxruntime
 * runs this through MLAS's integer GEMM (VNNI/AMX), about ten times MatMulNBits' prefill speed
 * on CPUs that have it (../../../shared/design/performance.md measured 3.1 TOPS at 512 tokens).
 */
function emitDynamicInt8(ctx: BuildContext, x: string, name: string, weight: F32Tensor): string {
  const [outFeatures, inFeatures] = weight.shape;
  const quantized = new Int8Array(inFeatures * outFeatures); // [K, N]
  const scales = new Float32Array(outFeatures);
  for (let n = 0; n < outFeatures; n++) {
    const row = weight.data.subarray(n * inFeatures, (n + 1) * inFeatures);
    let max = 0;
    for (let k = 0; k < inFeatures; k++) max = Math.max(max, Math.abs(row[k]));
    const scale = max / 127 || 1;
    scales[n] = scale;
    for (let k = 0; k < inFeatures; k++) quantized[k * outFeatures + n] = Math.round(row[k] / scale);
  }
  const { g } = ctx;
  const b = g.initializer(`${name}.weight_i8`, DataType.INT8, [inFeatures, outFeatures], quantized);
  const s = g.initializer(`${name}.weight_scale`, DataType.FLOAT, [outFeatures], scales);
  return g.op('DynamicQuantizeMatMul', [x, b, s], {}, { domain: 'com.microsoft', name: `${name}/DynamicQuantizeMatMul` });
}
