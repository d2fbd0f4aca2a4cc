// The gradient of a broadcast operand: the output's gradient summed over every axis the operand
// was broadcast along, then shaped like the operand. When the symbolic shapes settle it (the
// usual case: same shapes, or a literal 1 broadcast), that is decided while building; otherwise
// the axes are found at run time: those where the operand (left-padded with ones to the
// gradient's rank) has size 1 and the gradient does not.
import { attr, DataType } from '../engine/onnx/graph.ts';
import type { TapeGraph } from './tape-graph.ts';
import { sameShape, type Shape } from './value-shapes.ts';

export function sumToShape(g: TapeGraph, grad: string, like: string): string {
  const gradShape = g.shape(grad);
  const likeShape = g.shape(like);
  if (sameShape(gradShape, likeShape)) return grad;
  const staticAxes = gradShape && likeShape ? broadcastAxes(gradShape, likeShape) : undefined;
  if (staticAxes) {
    const summed = g.op('ReduceSum', [grad, g.int64s(staticAxes)], { keepdims: attr.int(1) });
    return g.op('Reshape', [summed, g.op('Shape', [like])]);
  }
  return sumToShapeAtRunTime(g, grad, like);
}

/**
 * The axes of a gradient shaped `grad` to sum for an operand shaped `like`, when the shapes say
 * it for certain: the leading axes `like` lacks, and those where `like` has a literal 1. Undefined
 * when some dims differ in a way only run time decides.
 */
function broadcastAxes(grad: Shape, like: Shape): number[] | undefined {
  const offset = grad.length - like.length;
  if (offset < 0) return undefined;
  const axes = Array.from({ length: offset }, (_, i) => i);
  for (let i = 0; i < like.length; i++) {
    if (like[i] === grad[offset + i]) continue;
    if (like[i] !== 1) return undefined;
    axes.push(offset + i);
  }
  return axes;
}

function sumToShapeAtRunTime(g: TapeGraph, grad: string, like: string): string {
  const gradRank = g.rank(grad);
  const likeRank = g.rank(like);
  // A scalar operand: everything is summed.
  if (likeRank === 0) return g.op('ReduceSum', [grad], { keepdims: attr.int(0) });
  const gradShape = g.op('Shape', [grad]);
  const likeShape = g.op('Shape', [like]);
  let padded = likeShape;
  if (gradRank !== undefined && likeRank !== undefined) {
    if (gradRank > likeRank) padded = g.op('Concat', [g.int64s(new Array<number>(gradRank - likeRank).fill(1)), likeShape], { axis: attr.int(0) });
  } else {
    const missing = g.op('Sub', [g.op('Size', [gradShape]), g.op('Size', [likeShape])]);
    const ones = g.op('ConstantOfShape', [g.op('Unsqueeze', [missing, g.int64s([0], [1])])], {
      value: { kind: 'tensor', type: DataType.INT64, dims: [1], data: BigInt64Array.from([1n]) },
    });
    padded = g.op('Concat', [ones, likeShape], { axis: attr.int(0) });
  }
  const one = g.int64s([1], []);
  const broadcast = g.op('And', [g.op('Equal', [padded, one]), g.op('Not', [g.op('Equal', [gradShape, one])])]);
  const axes = g.op('Reshape', [g.op('NonZero', [broadcast]), g.int64s([-1], [1])]);
  const summed = g.op('ReduceSum', [grad, axes], { keepdims: attr.int(1), noop_with_empty_axes: attr.int(1) });
  return g.op('Reshape', [summed, likeShape]);
}

/** `x` with its last two axes swapped (a batched matrix transpose). */
export function transposeLastTwo(g: TapeGraph, x: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return g.op('Transpose', [x], { perm: attr.ints(perm) });
}
