// A float32 weight that remembers the ggml blocks it was decoded from, so that the graph builder
// can keep those blocks (emitLinear → MatMulNBits) instead of quantizing the floats again. The
// blocks ride beside the tensor object in a WeakMap rather than in F32Tensor itself: any step that
// makes a new tensor (a transpose, a concatenation, an offset added to a norm) drops them, and the
// builder then falls back to the floats, which is always correct.
import type { F32Tensor } from '../../common/model-spec.ts';
import { isGgmlBlockType } from './ggml-matmul-nbits.ts';
import type { GgmlBlockType } from './ggml-matmul-nbits.ts';
import { GGML_TYPES, ggmlByteLength } from './ggml-type.ts';
import type { GgmlType } from './ggml-type.ts';

export interface GgmlBlocks {
  type: GgmlBlockType;
  /** The tensor's stored bytes: rows of whole blocks, in the tensor's row order. */
  bytes: Uint8Array;
}

const blocksByTensor = new WeakMap<F32Tensor, GgmlBlocks>();
/** Tensors stored as F16 in the file: every value is a float16, so a build may store them so again. */
const storedAsF16 = new WeakSet<F32Tensor>();

/**
 * Records that `tensor` ([rows, cols] float32) holds exactly the values of `bytes` in ggml type
 * `type`, and returns it. Float types have no blocks to keep; F16 is remembered (isStoredAsF16).
 */
export function attachGgmlBlocks(tensor: F32Tensor, type: GgmlType, bytes: Uint8Array): F32Tensor {
  if (type === 1) storedAsF16.add(tensor);
  if (!isGgmlBlockType(type)) return tensor;
  const expected = ggmlByteLength(type, tensor.data.length);
  if (bytes.length !== expected) {
    throw new RangeError(`${tensor.data.length} ${GGML_TYPES[type].name} values take ${expected} bytes, not ${bytes.length}.`);
  }
  blocksByTensor.set(tensor, { type, bytes });
  return tensor;
}

/** Whether `tensor` was decoded from an F16 tensor (and not made anew since): its values are all float16. */
export function isStoredAsF16(tensor: F32Tensor): boolean {
  return storedAsF16.has(tensor);
}

/** The ggml blocks `tensor` was decoded from, or null when it has none (or was made anew since). */
export function ggmlBlocksOf(tensor: F32Tensor): GgmlBlocks | null {
  return blocksByTensor.get(tensor) ?? null;
}

/**
 * The rows of a [rows, cols] ggml tensor reordered: row i of the result is row order[i] of the
 * input. Rows are whole blocks, so this is a byte copy (e.g. undoing llama.cpp's rotary row
 * permutation of attn_q/attn_k, or taking the q, k and v rows out of a fused attn_qkv).
 */
export function reorderGgmlRows(type: GgmlType, bytes: Uint8Array, cols: number, order: readonly number[]): Uint8Array {
  const rowBytes = ggmlByteLength(type, cols);
  const rows = bytes.length / rowBytes;
  const out = new Uint8Array(order.length * rowBytes);
  order.forEach((row, i) => {
    if (!Number.isInteger(row) || row < 0 || row >= rows) throw new RangeError(`Row ${row} is outside a tensor of ${rows} rows.`);
    out.set(bytes.subarray(row * rowBytes, (row + 1) * rowBytes), i * rowBytes);
  });
  return out;
}
