// Gradients of MatMul (batched, with broadcasting) and Gemm.
import { attr } from '../engine/onnx/graph.ts';
import { sumToShape, transposeLastTwo } from './broadcast-gradient.ts';
import { floatAttribute, GradientError, intAttribute, outputGrad, type VjpContext, type VjpRule } from './vjp-rule.ts';

function matMul(ctx: VjpContext) {
  const { g, node, wants } = ctx;
  const grad = outputGrad(ctx);
  const [a, b] = node.inputs;
  const rankA = g.requireRank(a, `the gradient of MatMul ${node.name}`);
  const rankB = g.requireRank(b, `the gradient of MatMul ${node.name}`);
  if (rankA < 2 || rankB < 2) throw new GradientError(`MatMul ${node.name}: gradients of matrix-vector products are not supported`);
  const rankY = Math.max(rankA, rankB);
  let gradA: string | null = null;
  let gradB: string | null = null;
  if (wants[0]) {
    gradA = g.op('MatMul', [grad, transposeLastTwo(g, b, rankB)]);
    // A plain [.., n, k] x [k, m] product needs no reduction; batched operands may have broadcast.
    if (rankA !== rankY || rankB > 2) gradA = sumToShape(g, gradA, a);
  }
  if (wants[1]) {
    if (rankB === 2 && rankA > 2) {
      // dB = Σ_batch Aᵀ·G, as one [k, n·batch] x [n·batch, m] product.
      const k = g.op('Shape', [a], { start: attr.int(-1) });
      const m = g.op('Shape', [grad], { start: attr.int(-1) });
      const flatA = g.op('Reshape', [a, g.op('Concat', [g.int64s([-1], [1]), k], { axis: attr.int(0) })]);
      const flatG = g.op('Reshape', [grad, g.op('Concat', [g.int64s([-1], [1]), m], { axis: attr.int(0) })]);
      gradB = g.op('Gemm', [flatA, flatG], { transA: attr.int(1) });
    } else {
      gradB = g.op('MatMul', [transposeLastTwo(g, a, rankA), grad]);
      if (rankB !== rankY || rankA > 2) gradB = sumToShape(g, gradB, b);
    }
  }
  return [gradA, gradB];
}

function gemm(ctx: VjpContext) {
  const { g, node, wants } = ctx;
  const grad = outputGrad(ctx);
  const [a, b, c] = node.inputs;
  const alpha = floatAttribute(node, 'alpha', 1);
  const beta = floatAttribute(node, 'beta', 1);
  const transA = intAttribute(node, 'transA', 0);
  const transB = intAttribute(node, 'transB', 0);
  const gemmOf = (x: string, y: string, tx: number, ty: number) =>
    g.op('Gemm', [x, y], { alpha: attr.float(alpha), transA: attr.int(tx), transB: attr.int(ty) });
  // Y = α·A'·B' (+ β·C) with A' = transA ? Aᵀ : A and B' likewise.
  let gradA: string | null = null;
  if (wants[0]) gradA = transA ? gemmOf(b, grad, transB, 1) : gemmOf(grad, b, 0, transB ? 0 : 1);
  let gradB: string | null = null;
  if (wants[1]) gradB = transB ? gemmOf(grad, a, 1, transA) : gemmOf(a, grad, transA ? 0 : 1, 0);
  let gradC: string | null = null;
  if (c && wants[2]) {
    gradC = sumToShape(g, grad, c);
    if (beta !== 1) gradC = g.op('Mul', [gradC, g.floats([beta], [])]);
  }
  return [gradA, gradB, gradC];
}

export const matmulRules: Record<string, VjpRule> = { MatMul: matMul, Gemm: gemm };
