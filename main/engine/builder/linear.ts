// A linear layer y = x W^T + b at the build's precision:
// - fp32/fp16: W transposed for MatMul.
// - int4, and int8 for the GPU ('blockwise'): weight-only MatMulNBits, block 32, dequantized
//   inside the matmul; accuracy level 4 (int8 compute) as on CPU. Which int4 matrices get 8 bits,
//   the zero points and the float16 scales: quant-recipe.ts.
// - int8 for the CPU ('dynamic'), and the 8-bit matrices of an int4 build for the CPU (its
//   recipe's down_proj, v_proj and untied head; quant-recipe.ts): int8 weights per output channel
//   with activations quantized on the fly, which reaches MLAS's integer GEMM (VNNI/AMX). Measured on an AMD EPYC host
//   (2 vCPUs, AVX-512 VNNI, onnxruntime-node 1.30), a 512-token 896x4864 matmul ran at 625
//   GFLOP/s against 218 for MatMulNBits, and the whole 0.5B model prefilled at 643 tok/s
//   against 350. The WebGPU provider has no such kernels, so GPU builds keep 'blockwise'.
import type { F32Tensor } from '../../common/model-spec.ts';
import { ggmlBlocksOf, isStoredAsF16 } from '../gguf/ggml-block-weight.ts';
import { emitGgmlMatMulNBits } from '../gguf/ggml-linear.ts';
import { ggmlToMatMulNBits } from '../gguf/ggml-matmul-nbits.ts';
import { weightValues } from '../checkpoint/bf16-weight.ts';
import { float32ToFloat16Bits } from '../checkpoint/float16.ts';
import { attr, DataType } from '../onnx/graph.ts';
import { quantizeMatMulNBits } from '../quant/matmul-nbits.ts';
import { quantizePerChannelInt8 } from '../quant/per-channel-int8.ts';
import { emitFloats } from '../gguf/ggml-scales.ts';
import { isSymmetric, matMulNBitsBits, roundScalesToFloat16, usesDynamicInt8 } from './quant-recipe.ts';
import type { BuildContext } from './build-context.ts';

export const QUANT_BLOCK_SIZE = 32;
export const CPU_ACCURACY_LEVEL = 4;

/**
 * Layers whose inputs carry outlier channels that one per-tensor activation scale handles
 * badly (the LLM.int8() observation): with the dynamic kernel they quantize activations per
 * token instead. On shakespeare-5m, per-tensor everywhere cost +0.23 % perplexity; with
 * down_proj per token, +0.09 % (and 643 against 666 tok/s prefill on the 0.5B shape, on the
 * same EPYC host).
 */
const PER_TOKEN_LAYERS = /down_proj/;

/**
 * Whether the dynamic int8 kernel quantizes this layer's input per token in a graph of this
 * precision; `name` is the layer's node name (…/mlp/down_proj). In an int4 build for the CPU every
 * one (its 8-bit matrices, quant-recipe.ts), so that a sequence's logits do not depend on the
 * others batched with it, as with MatMulNBits, and for quality: the demo's int4 NLL over 256-token
 * windows (v and down 8-bit) was 3.333696 with v_proj's input quantized per tensor, 3.333241 per
 * token, 3.333198 as 8-bit MatMulNBits (whose int8 compute quantizes the input per block of 32);
 * with o_proj 8-bit too, KLD from fp32 0.00555 with its input per tensor, 0.00549 per token.
 */
export function quantizesActivationsPerToken(name: string, precision: 'int8' | 'int4'): boolean {
  return precision === 'int4' || PER_TOKEN_LAYERS.test(name);
}

export interface LinearWeights {
  weight: F32Tensor; // [out, in]
  bias: F32Tensor | null;
}

export function emitLinear(ctx: BuildContext, x: string, name: string, { weight, bias }: LinearWeights): string {
  let y: string;
  const blocks = ctx.keepGgmlBlocks && ctx.floatType === DataType.FLOAT ? ggmlBlocksOf(weight) : null;
  if (blocks) {
    // The file's own blocks, exactly (gguf/ggml-matmul-nbits.ts), rather than a new quantization.
    const [outFeatures, inFeatures] = weight.shape;
    const m = ggmlToMatMulNBits(blocks.type, blocks.bytes, outFeatures, inFeatures);
    y = emitGgmlMatMulNBits(ctx.g, x, name, m, outFeatures, inFeatures, CPU_ACCURACY_LEVEL);
  } else if (ctx.precision === 'int8' || ctx.precision === 'int4') {
    const bits = matMulNBitsBits(ctx.precision, name, ctx.spec);
    if (usesDynamicInt8(bits, ctx.int8Kernel)) {
      y = quantizesActivationsPerToken(name, ctx.precision) ? emitPerTokenInt8(ctx, x, name, weight) : emitDynamicInt8(ctx, x, name, weight);
    } else {
      y = emitMatMulNBits(ctx, x, name, weight, bits);
    }
  } else {
    const [outFeatures, inFeatures] = weight.shape;
    const w = ctx.keepGgmlBlocks
      ? keptFloatInitializer(ctx, `${name}.weight`, [inFeatures, outFeatures], transpose(weight.data, outFeatures, inFeatures), isStoredAsF16(weight))
      : ctx.floatInitializer(`${name}.weight`, [inFeatures, outFeatures], transpose(weight.data, outFeatures, inFeatures));
    y = ctx.g.op('MatMul', [x, w], {}, { name: `${name}/MatMul` });
  }
  if (bias) y = ctx.g.op('Add', [y, ctx.floatInitializer(`${name}.bias`, [weight.shape[0]], bias.data)], {}, { name: `${name}/Add` });
  if (ctx.linearExtension) y = ctx.linearExtension(x, name, y, weight.shape);
  return y;
}

/**
 * A float weight of a GGUF file built as downloaded: an F16 tensor stays float16 on disk, cast to
 * the graph's float32 by a node onnxruntime folds when the session loads (exact: every value is a
 * float16); the rest as the graph's floats. `output` names the float32 value.
 */
export function keptFloatInitializer(ctx: BuildContext, output: string, dims: number[], data: Float32Array, f16: boolean): string {
  if (!f16 || ctx.floatType !== DataType.FLOAT) return ctx.floatInitializer(output, dims, data);
  const half = ctx.g.initializer(`${output}_f16`, DataType.FLOAT16, dims, float32ToFloat16Bits(data));
  return ctx.g.op('Cast', [half], { to: attr.int(DataType.FLOAT) }, { name: `${output}/from_f16`, outputs: [output] });
}

function emitMatMulNBits(ctx: BuildContext, x: string, name: string, weight: F32Tensor, bits: 4 | 8): string {
  const [outFeatures, inFeatures] = weight.shape;
  const q = quantizeMatMulNBits(weightValues(weight), outFeatures, inFeatures, { bits, blockSize: QUANT_BLOCK_SIZE, symmetric: isSymmetric(bits), clipSearch: bits === 4 });
  const packed = ctx.g.initializer(`${name}.weight_q${bits}`, DataType.UINT8, [outFeatures, q.kBlocks, q.blobSize], q.packed);
  // float16 on disk, float32 once folded (quant-recipe.ts); an fp16 graph's scales are float16 anyway.
  const scales =
    ctx.floatType === DataType.FLOAT ? emitFloats(ctx.g, `${name}.scales`, roundScalesToFloat16(q.scales), outFeatures, q.kBlocks) : ctx.floatInitializer(`${name}.scales`, [outFeatures, q.kBlocks], q.scales);
  return ctx.g.op(
    'MatMulNBits',
    q.zeroPoints ? [x, packed, scales, ctx.g.initializer(`${name}.zero_points`, DataType.UINT8, [outFeatures, q.zeroPoints.length / outFeatures], q.zeroPoints)] : [x, packed, scales],
    { K: attr.int(inFeatures), N: attr.int(outFeatures), bits: attr.int(bits), block_size: attr.int(QUANT_BLOCK_SIZE), accuracy_level: attr.int(CPU_ACCURACY_LEVEL) },
    { domain: 'com.microsoft', name: `${name}/MatMulNBits` },
  );
}

/** int8 weights per output channel; activations quantized per tensor by the op itself. */
function emitDynamicInt8(ctx: BuildContext, x: string, name: string, weight: F32Tensor): string {
  const { g } = ctx;
  const { quantized, scales, inFeatures, outFeatures } = quantizePerChannelInt8(weight);
  const b = g.initializer(`${name}.weight_i8`, DataType.INT8, [inFeatures, outFeatures], quantized);
  const s = g.initializer(`${name}.weight_scale`, DataType.FLOAT, [outFeatures], scales);
  return g.op('DynamicQuantizeMatMul', [x, b, s], {}, { domain: 'com.microsoft', name: `${name}/DynamicQuantizeMatMul` });
}

/**
 * Activations quantized per token (row) to uint8 around 128, then MatMulInteger (the u8 x s8
 * integer GEMM) and a rescale by the row and column scales.
 */
function emitPerTokenInt8(ctx: BuildContext, x: string, name: string, weight: F32Tensor): string {
  const { g } = ctx;
  const { quantized, scales, inFeatures, outFeatures } = quantizePerChannelInt8(weight);
  const b = g.initializer(`${name}.weight_i8`, DataType.INT8, [inFeatures, outFeatures], quantized);
  const columnScale = g.initializer(`${name}.weight_scale`, DataType.FLOAT, [outFeatures], scales);
  const rowMax = g.op('ReduceMax', [g.op('Abs', [x]), g.int64s([-1], [1])], { keepdims: attr.int(1) });
  const rowScale = g.op('Max', [g.op('Div', [rowMax, g.floats([127], [])]), g.floats([1e-12], [])]);
  const shifted = g.op('Add', [g.op('Round', [g.op('Div', [x, rowScale])]), g.floats([128], [])]);
  const xq = g.op('Cast', [g.op('Clip', [shifted, g.floats([0], []), g.floats([255], [])])], { to: attr.int(DataType.UINT8) });
  const zeroPoint = g.initializer(`${name}.act_zero_point`, DataType.UINT8, [], new Uint8Array([128]));
  const product = g.op('MatMulInteger', [xq, b, zeroPoint], {}, { name: `${name}/MatMulInteger` });
  const asFloat = g.op('Cast', [product], { to: attr.int(DataType.FLOAT) });
  return g.op('Mul', [g.op('Mul', [asFloat, rowScale]), columnScale], {}, { name: `${name}/dequantize` });
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[base + c];
  }
  return out;
}
