// Rearrangements that turn a checkpoint's own layout into the canonical [out, in] float32 one:
// slicing rows out of fused projections, undoing per-head interleaving, transposing Conv1D.
// Each also takes a shape-only tensor (see ../checkpoint/shape-only-tensor.ts) and returns the shape-only result.
import type { F32Tensor } from '../../common/model-spec.ts';
import { isShapeOnly, shapeOnlyTensor } from '../checkpoint/shape-only-tensor.ts';

/** Rows [start, start + count) of a 2-D tensor, or elements of a 1-D one. */
export function sliceRows(tensor: F32Tensor, start: number, count: number): F32Tensor {
  const rowSize = tensor.shape.length === 1 ? 1 : tensor.shape.slice(1).reduce((a, b) => a * b, 1);
  if (start + count > tensor.shape[0]) {
    throw new RangeError(`sliceRows: rows ${start}..${start + count} are beyond the ${tensor.shape[0]} rows of the tensor`);
  }
  if (isShapeOnly(tensor)) return shapeOnlyTensor([count, ...tensor.shape.slice(1)]);
  const data = tensor.data.slice(start * rowSize, (start + count) * rowSize);
  return { data, shape: [count, ...tensor.shape.slice(1)] };
}

/**
 * BLOOM and GPT-NeoX fuse q, k and v per head: rows are ordered [head][q, k, v][headDim]. Returns
 * the rows of one of the three (0 = q, 1 = k, 2 = v) in head order, as a separate projection has them.
 */
export function takeInterleavedHeads(tensor: F32Tensor, numHeads: number, headDim: number, which: 0 | 1 | 2): F32Tensor {
  const rowSize = tensor.shape.length === 1 ? 1 : tensor.shape[1];
  if (tensor.shape[0] !== numHeads * 3 * headDim) {
    throw new RangeError(`takeInterleavedHeads: expected ${numHeads * 3 * headDim} rows, got ${tensor.shape[0]}`);
  }
  if (isShapeOnly(tensor)) return shapeOnlyTensor([numHeads * headDim, ...tensor.shape.slice(1)]);
  const out = new Float32Array(numHeads * headDim * rowSize);
  const block = headDim * rowSize;
  for (let h = 0; h < numHeads; h++) {
    const from = (h * 3 + which) * block;
    out.set(tensor.data.subarray(from, from + block), h * block);
  }
  return { data: out, shape: [numHeads * headDim, ...tensor.shape.slice(1)] };
}

export function transpose2d(tensor: F32Tensor): F32Tensor {
  const [rows, cols] = tensor.shape;
  if (isShapeOnly(tensor)) return shapeOnlyTensor([cols, rows]);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = tensor.data[r * cols + c];
  }
  return { data: out, shape: [cols, rows] };
}

/** Columns [start, start + count) of a 2-D tensor. */
export function sliceColumns(tensor: F32Tensor, start: number, count: number): F32Tensor {
  const [rows, cols] = tensor.shape;
  if (isShapeOnly(tensor)) return shapeOnlyTensor([rows, count]);
  const out = new Float32Array(rows * count);
  for (let r = 0; r < rows; r++) out.set(tensor.data.subarray(r * cols + start, r * cols + start + count), r * count);
  return { data: out, shape: [rows, count] };
}

export function addScalar(tensor: F32Tensor, value: number): F32Tensor {
  if (isShapeOnly(tensor)) return shapeOnlyTensor(tensor.shape);
  return { data: tensor.data.map((x) => x + value), shape: [...tensor.shape] };
}
