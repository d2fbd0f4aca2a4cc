// Gradients of the fused ops the model builder emits, so the training forward keeps their fast
// kernels: RMSNorm (SimplifiedLayerNormalization), LayerNormalization and RotaryEmbedding.
// The norms' weights are frozen (only LoRA matrices train), so only dX is derived.
import { attr } from '../engine/onnx/graph.ts';
import { floatAttribute, GradientError, intAttribute, outputGrad, type VjpContext, type VjpRule } from './vjp-rule.ts';

function requireLastAxis(ctx: VjpContext): void {
  const { g, node } = ctx;
  const axis = intAttribute(node, 'axis', -1);
  const rank = g.rank(node.inputs[0]);
  if (axis !== -1 && (rank === undefined || axis !== rank - 1)) throw new GradientError(`${node.opType} ${node.name}: only normalization over the last axis has a gradient here`);
  if (ctx.wants.slice(1).some(Boolean)) throw new GradientError(`${node.opType} ${node.name}: norm weights are frozen; no gradient to them is derived`);
}

/**
 * y = x·r·w with r = (mean(x²) + ε)^-½ over the last axis:
 * dx = r·(g·w) − x·r³·mean((g·w)·x).
 */
function rmsNorm(ctx: VjpContext) {
  requireLastAxis(ctx);
  const { g, node } = ctx;
  const [x, weight] = node.inputs;
  const last = g.int64s([-1], [1]);
  const eps = g.floats([floatAttribute(node, 'epsilon', 1e-5)], []);
  const r = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [g.op('ReduceMean', [g.op('Mul', [x, x]), last], { keepdims: attr.int(1) }), eps])])]);
  const gw = g.op('Mul', [outputGrad(ctx), weight]);
  const projection = g.op('ReduceMean', [g.op('Mul', [gw, x]), last], { keepdims: attr.int(1) });
  const correction = g.op('Mul', [x, g.op('Mul', [projection, g.op('Mul', [r, r])])]);
  return [g.op('Mul', [r, g.op('Sub', [gw, correction])]), null];
}

/**
 * y = x̂·w + b with x̂ = (x − μ)·r, r = (var(x) + ε)^-½:
 * dx = r·(g·w − mean(g·w) − x̂·mean(g·w·x̂)).
 */
function layerNorm(ctx: VjpContext) {
  requireLastAxis(ctx);
  const { g, node } = ctx;
  const [x, weight] = node.inputs;
  const last = g.int64s([-1], [1]);
  const mean = (v: string) => g.op('ReduceMean', [v, last], { keepdims: attr.int(1) });
  const eps = g.floats([floatAttribute(node, 'epsilon', 1e-5)], []);
  const centered = g.op('Sub', [x, mean(x)]);
  const r = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [mean(g.op('Mul', [centered, centered])), eps])])]);
  const normalized = g.op('Mul', [centered, r]);
  const gw = g.op('Mul', [outputGrad(ctx), weight]);
  const inner = g.op('Sub', [g.op('Sub', [gw, mean(gw)]), g.op('Mul', [normalized, mean(g.op('Mul', [gw, normalized]))])]);
  return [g.op('Mul', [r, inner]), null, null];
}

/**
 * RotaryEmbedding rotates pairs of features by position-dependent angles, a linear orthogonal
 * map: its gradient is the rotation by the opposite angles, i.e. the same op with −sin.
 */
function rotaryEmbedding(ctx: VjpContext) {
  const { g, node } = ctx;
  if (ctx.wants.slice(1).some(Boolean)) throw new GradientError(`RotaryEmbedding ${node.name}: positions and tables carry no gradient`);
  const [, positions, cos, sin] = node.inputs;
  const negativeSin = g.op('Neg', [sin]);
  return [g.op('RotaryEmbedding', [outputGrad(ctx), positions, cos, negativeSin], node.attributes, { domain: node.domain }), null, null, null];
}

export const fusedRules: Record<string, VjpRule> = {
  SimplifiedLayerNormalization: rmsNorm,
  LayerNormalization: layerNorm,
  RotaryEmbedding: rotaryEmbedding,
};
