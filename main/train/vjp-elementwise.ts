// Gradients of elementwise ops: arithmetic with broadcasting, activations, Where and Cast.
import { attr, DataType } from '../engine/onnx/graph.ts';
import { sumToShape } from './broadcast-gradient.ts';
import { GradientError, outputGrad, stringAttribute, type VjpContext, type VjpRule } from './vjp-rule.ts';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const GELU_TANH_CUBIC = 0.044715;

function add(ctx: VjpContext) {
  const { g, node, wants } = ctx;
  const grad = outputGrad(ctx);
  const [a, b] = node.inputs;
  return [wants[0] ? sumToShape(g, grad, a) : null, wants[1] ? sumToShape(g, grad, b) : null];
}

function sub(ctx: VjpContext) {
  const { g, node, wants } = ctx;
  const grad = outputGrad(ctx);
  const [a, b] = node.inputs;
  return [wants[0] ? sumToShape(g, grad, a) : null, wants[1] ? sumToShape(g, g.op('Neg', [grad]), b) : null];
}

function mul(ctx: VjpContext) {
  const { g, node, wants } = ctx;
  const grad = outputGrad(ctx);
  const [a, b] = node.inputs;
  return [wants[0] ? sumToShape(g, g.op('Mul', [grad, b]), a) : null, wants[1] ? sumToShape(g, g.op('Mul', [grad, a]), b) : null];
}

function div(ctx: VjpContext) {
  const { g, node, wants } = ctx;
  const grad = outputGrad(ctx);
  const [a, b] = node.inputs;
  const y = node.outputs[0];
  // d(a/b)/db = -a/b² = -y/b
  return [wants[0] ? sumToShape(g, g.op('Div', [grad, b]), a) : null, wants[1] ? sumToShape(g, g.op('Neg', [g.op('Div', [g.op('Mul', [grad, y]), b])]), b) : null];
}

function pow(ctx: VjpContext) {
  const { g, node, wants } = ctx;
  if (wants[1]) throw new GradientError(`Pow ${node.name}: a gradient to the exponent is not supported`);
  const grad = outputGrad(ctx);
  const [x, exponent] = node.inputs;
  const local = g.op('Mul', [exponent, g.op('Pow', [x, g.op('Sub', [exponent, g.floats([1], [])])])]);
  return [sumToShape(g, g.op('Mul', [grad, local]), x), null];
}

/** Rules of the form dx = grad · f(x, y) for unary ops. */
function unary(local: (ctx: VjpContext, x: string, y: string) => string): VjpRule {
  return (ctx) => {
    const grad = outputGrad(ctx);
    return [ctx.g.op('Mul', [grad, local(ctx, ctx.node.inputs[0], ctx.node.outputs[0])])];
  };
}

function where(ctx: VjpContext) {
  const { g, node, wants } = ctx;
  const grad = outputGrad(ctx);
  const [condition, a, b] = node.inputs;
  const zero = g.floats([0], []);
  return [
    null,
    wants[1] ? sumToShape(g, g.op('Where', [condition, grad, zero]), a) : null,
    wants[2] ? sumToShape(g, g.op('Where', [condition, zero, grad]), b) : null,
  ];
}

function cast(ctx: VjpContext) {
  const to = ctx.node.attributes.to;
  if (to?.kind !== 'int' || to.value !== DataType.FLOAT) throw new GradientError(`Cast ${ctx.node.name}: only casts to float32 carry gradients (training graphs are float32)`);
  return [outputGrad(ctx)];
}

function gelu(ctx: VjpContext) {
  const { g, node } = ctx;
  const grad = outputGrad(ctx);
  const x = node.inputs[0];
  const f = (values: number[]) => g.floats(values, []);
  let local: string;
  if (stringAttribute(node, 'approximate', 'none') === 'tanh') {
    // y = ½x(1+t), t = tanh(u), u = √(2/π)(x + c·x³): y' = ½(1+t) + ½x(1−t²)·√(2/π)(1 + 3c·x²)
    const x2 = g.op('Mul', [x, x]);
    const u = g.op('Mul', [f([SQRT_2_OVER_PI]), g.op('Add', [x, g.op('Mul', [f([GELU_TANH_CUBIC]), g.op('Mul', [x2, x])])])]);
    const t = g.op('Tanh', [u]);
    const du = g.op('Mul', [f([SQRT_2_OVER_PI]), g.op('Add', [f([1]), g.op('Mul', [f([3 * GELU_TANH_CUBIC]), x2])])]);
    const left = g.op('Mul', [f([0.5]), g.op('Add', [f([1]), t])]);
    const right = g.op('Mul', [g.op('Mul', [f([0.5]), x]), g.op('Mul', [g.op('Sub', [f([1]), g.op('Mul', [t, t])]), du])]);
    local = g.op('Add', [left, right]);
  } else {
    // y = x·Φ(x): y' = Φ(x) + x·φ(x)
    const cdf = g.op('Mul', [f([0.5]), g.op('Add', [f([1]), g.op('Erf', [g.op('Mul', [x, f([Math.SQRT1_2])])])])]);
    const pdf = g.op('Mul', [f([INV_SQRT_2PI]), g.op('Exp', [g.op('Mul', [f([-0.5]), g.op('Mul', [x, x])])])]);
    local = g.op('Add', [cdf, g.op('Mul', [x, pdf])]);
  }
  return [g.op('Mul', [grad, local])];
}

export const elementwiseRules: Record<string, VjpRule> = {
  Identity: (ctx) => [outputGrad(ctx)],
  Add: add,
  Sub: sub,
  Mul: mul,
  Div: div,
  Pow: pow,
  Neg: (ctx) => [ctx.g.op('Neg', [outputGrad(ctx)])],
  Sigmoid: unary(({ g }, _x, y) => g.op('Mul', [y, g.op('Sub', [g.floats([1], []), y])])),
  Tanh: unary(({ g }, _x, y) => g.op('Sub', [g.floats([1], []), g.op('Mul', [y, y])])),
  Exp: unary((_ctx, _x, y) => y),
  Log: unary(({ g }, x) => g.op('Reciprocal', [x])),
  Sqrt: unary(({ g }, _x, y) => g.op('Reciprocal', [g.op('Mul', [y, g.floats([2], [])])])),
  Reciprocal: unary(({ g }, _x, y) => g.op('Neg', [g.op('Mul', [y, y])])),
  Relu: unary(({ g }, x) => g.op('Cast', [g.op('Greater', [x, g.floats([0], [])])], { to: attr.int(DataType.FLOAT) })),
  Erf: unary(({ g }, x) => g.op('Mul', [g.floats([2 / Math.sqrt(Math.PI)], []), g.op('Exp', [g.op('Neg', [g.op('Mul', [x, x])])])])),
  Where: where,
  Cast: cast,
  Gelu: gelu,
};
