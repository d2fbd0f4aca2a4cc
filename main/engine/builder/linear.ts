// A linear layer y = x W^T + b at the build's precision. fp32/fp16 store W transposed for
// MatMul; int8/int4 store it packed for MatMulNBits (weight-only quantization, dequantized
// inside the matmul), block 32, symmetric, accuracy level 4 (int8 compute) as on CPU.
import type { F32Tensor } from '../../common/model-spec.ts';
import { attr, DataType } from '../onnx/graph.ts';
import { quantizeMatMulNBits } from '../quant/matmul-nbits.ts';
import type { BuildContext } from './build-context.ts';

export const QUANT_BLOCK_SIZE = 32;
export const CPU_ACCURACY_LEVEL = 4;

export interface LinearWeights {
  weight: F32Tensor; // [out, in]
  bias: F32Tensor | null;
}

export function emitLinear(ctx: BuildContext, x: string, name: string, { weight, bias }: LinearWeights): string {
  const [outFeatures, inFeatures] = weight.shape;
  const { g } = ctx;
  let y: string;
  if (ctx.precision === 'int8' || ctx.precision === 'int4') {
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
