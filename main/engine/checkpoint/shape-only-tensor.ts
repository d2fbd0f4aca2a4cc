// A tensor known only by its shape: what a checkpoint's header says about a tensor, without its
// data. The import check runs each architecture's own loader on these, so the names, fused-QKV
// splits and transposes it checks are the ones a build uses, and not a byte of the weights is
// read. The layout functions in ../architectures/tensor-layout.ts pass such tensors through as shapes.
import type { F32Tensor } from '../../common/model-spec.ts';

/** The one empty array that marks a tensor as shape-only (a real tensor with no elements has its own). */
const NO_DATA = new Float32Array(0);

export function shapeOnlyTensor(shape: readonly number[]): F32Tensor {
  return { data: NO_DATA, shape: [...shape] };
}

export function isShapeOnly(tensor: F32Tensor): boolean {
  return tensor.data === NO_DATA;
}
