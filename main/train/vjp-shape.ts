// Gradients of ops that move values without computing new ones: reshapes, transposes, slices,
// concatenation, tiling, expansion, and gathers (to the gathered data, never to indices).
import { attr } from '../engine/onnx/graph.ts';
import { sumToShape } from './broadcast-gradient.ts';
import { GradientError, intAttribute, intsAttribute, outputGrad, type VjpContext, type VjpRule } from './vjp-rule.ts';

/** Reshape, Unsqueeze, Squeeze, Flatten: the gradient takes the input's shape back. */
function reshapeBack(ctx: VjpContext) {
  const { g, node } = ctx;
  return [g.op('Reshape', [outputGrad(ctx), g.op('Shape', [node.inputs[0]])])];
}

function transpose(ctx: VjpContext) {
  const { g, node } = ctx;
  const perm = intsAttribute(node, 'perm');
  if (perm === undefined) return [g.op('Transpose', [outputGrad(ctx)])];
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return [g.op('Transpose', [outputGrad(ctx)], { perm: attr.ints(inverse) })];
}

function concat(ctx: VjpContext) {
  const { g, node, wants } = ctx;
  const axis = intAttribute(node, 'axis', 0);
  const sizes = g.op('Concat', node.inputs.map((input) => g.op('Gather', [g.op('Shape', [input]), g.int64s([axis], [1])], { axis: attr.int(0) })), { axis: attr.int(0) });
  const parts = g.node('Split', [outputGrad(ctx), sizes], { axis: attr.int(axis) }, { outputs: node.inputs.length });
  return parts.map((part, i) => (wants[i] ? part : null));
}

/** The gradient of Slice (steps of 1): the output's gradient padded with zeros to the input's shape. */
function slice(ctx: VjpContext) {
  const { g, node } = ctx;
  const [data, starts, ends, axesInput, steps] = node.inputs;
  if (steps) {
    const stepValues = g.constant(steps);
    if (stepValues === undefined || Array.from(stepValues as BigInt64Array).some((s) => s !== 1n)) {
      throw new GradientError(`Slice ${node.name}: gradients of strided slices are not supported`);
    }
  }
  const count = g.op('Shape', [starts]);
  const axes = axesInput || g.op('Range', [g.int64s([0], []), g.op('Squeeze', [count, g.int64s([0], [1])]), g.int64s([1], [])]);
  const dims = g.op('Gather', [g.op('Shape', [data]), axes], { axis: attr.int(0) });
  const zero = g.int64s([0], []);
  // Negative positions count from the end; positions past either end are clamped, as Slice does.
  const normalize = (position: string) => {
    const absolute = g.op('Where', [g.op('Less', [position, zero]), g.op('Add', [position, dims]), position]);
    return g.op('Min', [g.op('Max', [absolute, zero]), dims]);
  };
  const begin = normalize(starts);
  const end = normalize(ends);
  const pads = g.op('Concat', [begin, g.op('Sub', [dims, end])], { axis: attr.int(0) });
  return [g.op('Pad', [outputGrad(ctx), pads, '', axes])];
}

/** Gather: only index lookups into frozen tables (embeddings, rotary tables, shapes) are supported. */
function gather(ctx: VjpContext) {
  const { node, wants } = ctx;
  if (wants[0]) throw new GradientError(`Gather ${node.name}: a gradient to the gathered table (a trainable embedding) is not supported; embeddings stay frozen`);
  return [null, null];
}

function gatherElements(ctx: VjpContext) {
  const { g, node } = ctx;
  const [data, indices] = node.inputs;
  const zeros = g.op('ConstantOfShape', [g.op('Shape', [data])]);
  const axis = intAttribute(node, 'axis', 0);
  return [g.op('ScatterElements', [zeros, indices, outputGrad(ctx)], { axis: attr.int(axis), reduction: attr.string('add') }), null];
}

/** Tile: each input element was copied once per repeat; the copies' gradients are summed. */
function tile(ctx: VjpContext) {
  const { g, node } = ctx;
  const [x, repeats] = node.inputs;
  const counts = g.constant(repeats);
  if (counts === undefined) throw new GradientError(`Tile ${node.name}: the repeats must be a constant for its gradient`);
  const rank = counts.length;
  const shape = g.op('Shape', [x]);
  // The gradient [r0·d0, r1·d1, ...] viewed as [r0, d0, r1, d1, ...], summed over the r axes.
  const pieces: string[] = [];
  for (let i = 0; i < rank; i++) {
    pieces.push(g.int64s([Number((counts as BigInt64Array)[i])], [1]));
    pieces.push(g.op('Gather', [shape, g.int64s([i], [1])], { axis: attr.int(0) }));
  }
  const interleaved = g.op('Reshape', [outputGrad(ctx), g.op('Concat', pieces, { axis: attr.int(0) })]);
  const summed = g.op('ReduceSum', [interleaved, g.int64s(Array.from({ length: rank }, (_, i) => 2 * i))], { keepdims: attr.int(0) });
  return [summed, null];
}

function expand(ctx: VjpContext) {
  return [sumToShape(ctx.g, outputGrad(ctx), ctx.node.inputs[0]), null];
}

export const shapeRules: Record<string, VjpRule> = {
  Reshape: (ctx) => [...reshapeBack(ctx), null],
  Unsqueeze: (ctx) => [...reshapeBack(ctx), null],
  Squeeze: (ctx) => [...reshapeBack(ctx), null],
  Flatten: reshapeBack,
  Transpose: transpose,
  Concat: concat,
  Slice: slice,
  Gather: gather,
  GatherElements: gatherElements,
  Tile: tile,
  Expand: expand,
};
