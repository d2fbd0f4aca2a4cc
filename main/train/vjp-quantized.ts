// The gradient through a frozen quantized linear layer (QLoRA's base): y = x·Ŵᵀ by MatMulNBits,
// whose input gradient is dx = dy·Ŵ. onnxruntime has no MatMulNBits for a transposed product, so
// Ŵ is dequantized from the forward's own blocks by GatherBlockQuantized (the op the quantized
// embedding table uses, the same (q − zp)·scale per block of 32) and multiplied by a plain
// MatMul: exactly the forward's Ŵ, so the gradients are those of the model the forward runs.
//
// The other choice, a second MatMulNBits of Wᵀ packed with blocks along the outputs, keeps
// the backward in the quantized kernel but stores every frozen matrix twice and differentiates a
// differently rounded Ŵ. Measured on the Qwen2.5-0.5B shape (see the QLoRA notes in the README):
// dequantize-then-MatMul costs one float matrix at a time, transient, and no second copy.
//
// Two details keep the dequantized matrices transient:
// - the packed bytes are reshaped to GatherBlockQuantized's [N, K·bits/8] with a shape computed
//   at run time (from dy's data: see zeroAfter), so onnxruntime cannot fold the dequantization into a float
//   initializer when the session loads (which would be an fp32 copy of the base);
// - a matrix of more than DEQUANTIZED_ROWS rows (the output head: vocabulary × hidden) is
//   dequantized and multiplied in slices of rows, and the partial products summed.
import { attr, DataType } from '../engine/onnx/graph.ts';
import { GradientError, intAttribute, outputGrad, type VjpContext, type VjpRule } from './vjp-rule.ts';

/** Rows of Ŵ dequantized at once: 16,384 rows of a 896-wide head are 59 MB of float32. */
export const DEQUANTIZED_ROWS = 16_384;

function matMulNBits(ctx: VjpContext) {
  const { g, node, wants } = ctx;
  if (wants.slice(1).some(Boolean)) throw new GradientError(`MatMulNBits ${node.name}: its quantized weight is frozen and gets no gradient`);
  if (!wants[0]) return [];
  const grad = outputGrad(ctx);
  const K = intAttribute(node, 'K', 0);
  const N = intAttribute(node, 'N', 0);
  const bits = intAttribute(node, 'bits', 4);
  const blockSize = intAttribute(node, 'block_size', 32);
  const [, packed, scales, zeroPoints = '', groupIndex = ''] = node.inputs;
  if (groupIndex !== '') throw new GradientError(`MatMulNBits ${node.name}: a g_idx input is not supported in training graphs`);
  if (K <= 0 || N <= 0 || (K * bits) % 8 !== 0 || K % blockSize !== 0) throw new GradientError(`MatMulNBits ${node.name}: K ${K}, N ${N}, bits ${bits}, block ${blockSize} cannot be dequantized by rows`);

  // A zero [1] computed from `value`'s data, so that it exists only once `value` does: onnxruntime
  // can neither fold what it feeds nor run it earlier. (It was Shape(value) · 0: onnxruntime knew
  // the shape, folded the dequantizations' inputs into initializers and ran every layer's
  // dequantization at the start of the backward — 0.9 GB of float matrices alive at once on the
  // Qwen2.5-0.5B shape.) The cast of any float, NaN included, times 0 is 0.
  const zeroAfter = (value: string) => g.op('Mul', [g.op('Cast', [g.op('ReduceMin', [value], { keepdims: attr.int(0) })], { to: attr.int(DataType.INT64) }), g.int64s([0], [1])]);
  // [N, kBlocks, blob] → [N, K·bits/8], dim 0 copied (0), by a shape known only at run time.
  const rowsShape = g.op('Concat', [zeroAfter(grad), g.int64s([(K * bits) / 8], [1])], { axis: attr.int(0) });
  const rows = g.op('Reshape', [packed, rowsShape], {}, { name: `${node.name}/grad/rows` });
  // The rows gathered are offset by a zero computed from `after` too: onnxruntime folded the
  // reshaped bytes into an initializer all the same, so only the indices hold the dequantization back.
  const dequantize = (start: number, end: number, after: string) => {
    const indices = g.op('Add', [g.op('Range', [g.int64s([start], []), g.int64s([end], []), g.int64s([1], [])]), zeroAfter(after)]);
    const inputs = [rows, indices, scales];
    if (zeroPoints !== '') inputs.push(zeroPoints);
    return g.op(
      'GatherBlockQuantized',
      inputs,
      { gather_axis: attr.int(0), quantize_axis: attr.int(1), block_size: attr.int(blockSize), bits: attr.int(bits) },
      { domain: 'com.microsoft', name: `${node.name}/grad/dequantize_${start}` },
    );
  };
  if (N <= DEQUANTIZED_ROWS) return [g.op('MatMul', [grad, dequantize(0, N, grad)], {}, { name: `${node.name}/grad/x` })];
  // Each slice is dequantized only once the previous product is summed: one slice alive at a time.
  let sum: string | null = null;
  for (let start = 0; start < N; start += DEQUANTIZED_ROWS) {
    const end = Math.min(N, start + DEQUANTIZED_ROWS);
    const slice = g.op('Slice', [grad, g.int64s([start]), g.int64s([end]), g.int64s([-1])]);
    const part = g.op('MatMul', [slice, dequantize(start, end, sum ?? slice)], {}, { name: `${node.name}/grad/x_${start}` });
    sum = sum === null ? part : g.op('Add', [sum, part]);
  }
  return [sum];
}

export const quantizedRules: Record<string, VjpRule> = { MatMulNBits: matMulNBits };
