// A float32 weight read from a BF16 checkpoint that keeps its bfloat16 bits and widens them only
// when its floats are read. A build's quantizer takes the bits instead (weightValues): its threads
// widen the rows they quantize (quant/quantize-kernels.ts, widenBf16Rows), so the build's own
// thread neither widens every weight nor allocates (and later collects) a float32 copy of it,
// twice the checkpoint's bytes. Any other reader gets the floats, widened once on first read, so
// nothing else changes. The bits ride beside the tensor in a WeakMap, as ggml blocks do
// (gguf/ggml-block-weight.ts): a step that makes a new tensor drops them.
import type { F32Tensor } from '../../common/model-spec.ts';
import { bfloat16BitsToFloat32 } from './float16.ts';

/** A weight's values as the quantizer takes them: float32, or the bfloat16 bits they widen from. */
export type WeightValues = Float32Array | { bf16: Uint16Array };

const bitsByTensor = new WeakMap<F32Tensor, Uint16Array>();

/** A tensor of `bits`' values whose `data` is widened on first read. */
export function lazyBf16Tensor(bits: Uint16Array, shape: number[]): F32Tensor {
  let data: Float32Array | null = null;
  const tensor = {
    shape,
    get data(): Float32Array {
      data ??= bfloat16BitsToFloat32(bits);
      return data;
    },
    set data(value: Float32Array) {
      data = value;
      bitsByTensor.delete(tensor);
    },
  };
  bitsByTensor.set(tensor, bits);
  return tensor;
}

/** The tensor's values for a quantizer: its bfloat16 bits where it still has them, else its floats. */
export function weightValues(tensor: F32Tensor): WeightValues {
  const bits = bitsByTensor.get(tensor);
  return bits ? { bf16: bits } : tensor.data;
}

/** How many values `values` holds. */
export function valueCount(values: WeightValues): number {
  return values instanceof Float32Array ? values.length : values.bf16.length;
}

/**
 * The NaN and infinite values among bfloat16 `bits` (all exponent bits set), counted without
 * widening them. Two values a 32-bit word: adding 0x80 to an exponent field carries into the
 * value's top bit only when the field is all ones, so one test per word finds the rare words to
 * count (about twice the speed of a test per value, measured).
 */
export function countNonFiniteBf16(bits: Uint16Array): number {
  let nonFinite = 0;
  let start = 0;
  if (bits.byteOffset % 4 === 0) {
    const words = new Int32Array(bits.buffer, bits.byteOffset, bits.length >> 1);
    for (let i = 0; i < words.length; i++) {
      const carried = (((words[i] & 0x7f807f80) + 0x00800080) | 0) & 0x80008000;
      if (carried !== 0) nonFinite += ((carried >>> 15) & 1) + (carried >>> 31);
    }
    start = words.length * 2;
  }
  for (let i = start; i < bits.length; i++) if ((bits[i] & 0x7f80) === 0x7f80) nonFinite++;
  return nonFinite;
}
