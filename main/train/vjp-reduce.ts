// Gradients of reductions and of the softmax family.
import { attr, DataType } from '../engine/onnx/graph.ts';
import { intAttribute, outputGrad, type VjpContext, type VjpRule } from './vjp-rule.ts';

/** The output's gradient spread back over the reduced axes (ReduceSum's gradient). */
function spreadBack(ctx: VjpContext): string {
  const { g, node } = ctx;
  const [x, axes] = node.inputs;
  let grad = outputGrad(ctx);
  if (intAttribute(node, 'keepdims', 1) === 0 && axes) grad = g.op('Unsqueeze', [grad, axes]);
  return g.op('Expand', [grad, g.op('Shape', [x])]);
}

function reduceSum(ctx: VjpContext) {
  return [spreadBack(ctx), null];
}

function reduceMean(ctx: VjpContext) {
  const { g, node } = ctx;
  const count = g.op('Div', [g.op('Cast', [g.op('Size', [node.inputs[0]])], { to: attr.int(DataType.FLOAT) }), g.op('Cast', [g.op('Size', [node.outputs[0]])], { to: attr.int(DataType.FLOAT) })]);
  return [g.op('Div', [spreadBack(ctx), count]), null];
}

function softmax(ctx: VjpContext) {
  const { g, node } = ctx;
  const y = node.outputs[0];
  const axis = g.int64s([intAttribute(node, 'axis', -1)], [1]);
  const grad = outputGrad(ctx);
  const dot = g.op('ReduceSum', [g.op('Mul', [grad, y]), axis], { keepdims: attr.int(1) });
  return [g.op('Mul', [y, g.op('Sub', [grad, dot])])];
}

function logSoftmax(ctx: VjpContext) {
  const { g, node } = ctx;
  const y = node.outputs[0];
  const axis = g.int64s([intAttribute(node, 'axis', -1)], [1]);
  const grad = outputGrad(ctx);
  const total = g.op('ReduceSum', [grad, axis], { keepdims: attr.int(1) });
  return [g.op('Sub', [grad, g.op('Mul', [g.op('Exp', [y]), total])])];
}

export const reduceRules: Record<string, VjpRule> = {
  ReduceSum: reduceSum,
  ReduceMean: reduceMean,
  Softmax: softmax,
  LogSoftmax: logSoftmax,
};
