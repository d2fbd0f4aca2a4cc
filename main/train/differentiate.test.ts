import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attr, DataType } from '../engine/onnx/graph.ts';
import { differentiate } from './differentiate.ts';
import { checkGradients, type CheckedInput } from './gradient-check-support.ts';
import { TapeGraph } from './tape-graph.ts';
import type { GradientError } from './vjp-rule.ts';

/** float32 central differences with ε = 1e-2 agree to about this on these small graphs. */
const TOLERANCE = 2e-3;

async function expectGradients(inputs: CheckedInput[], build: Parameters<typeof checkGradients>[1]): Promise<void> {
  const { worstError, worstAt } = await checkGradients(inputs, build);
  assert.ok(worstError < TOLERANCE, `worst relative error ${worstError.toExponential(2)} at ${worstAt}`);
}

describe('differentiate (against finite differences)', () => {
  it('MatMul: plain, batched, and a batched operand against a matrix', async () => {
    await expectGradients([{ name: 'a', dims: [3, 4] }, { name: 'b', dims: [4, 2] }], (g, [a, b]) => g.op('MatMul', [a, b]));
    await expectGradients([{ name: 'a', dims: [2, 3, 3, 4] }, { name: 'b', dims: [2, 3, 4, 2] }], (g, [a, b]) => g.op('MatMul', [a, b]));
    await expectGradients([{ name: 'a', dims: [2, 3, 4] }, { name: 'b', dims: [4, 2] }], (g, [a, b]) => g.op('MatMul', [a, b]));
    await expectGradients([{ name: 'a', dims: [1, 3, 4] }, { name: 'b', dims: [2, 4, 2] }], (g, [a, b]) => g.op('MatMul', [a, b]));
  });

  it('Gemm with every transpose combination, alpha and a bias', async () => {
    for (const transA of [0, 1]) {
      for (const transB of [0, 1]) {
        const dimsA = transA ? [4, 3] : [3, 4];
        const dimsB = transB ? [2, 4] : [4, 2];
        await expectGradients([{ name: 'a', dims: dimsA }, { name: 'b', dims: dimsB }, { name: 'c', dims: [2] }], (g, [a, b, c]) =>
          g.op('Gemm', [a, b, c], { transA: attr.int(transA), transB: attr.int(transB), alpha: attr.float(0.7), beta: attr.float(1.3) }),
        );
      }
    }
  });

  it('Add, Sub, Mul, Div with broadcasting', async () => {
    for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
      await expectGradients([{ name: 'a', dims: [2, 3, 4] }, { name: 'b', dims: [3, 1], data: Float32Array.from([1.5, -2, 0.8]) }], (g, [a, b]) => g.op(op, [a, b]));
      await expectGradients([{ name: 'a', dims: [2, 1, 4] }, { name: 'b', dims: [2, 3, 4], data: Float32Array.from({ length: 24 }, (_, i) => 1 + (i % 5) * 0.3) }], (g, [a, b]) => g.op(op, [a, b]));
    }
  });

  it('Sigmoid, Tanh, Exp, Sqrt, Reciprocal, Neg, Pow, Erf and SiLU', async () => {
    const positive = Float32Array.from({ length: 6 }, (_, i) => 0.5 + i * 0.3);
    for (const op of ['Sigmoid', 'Tanh', 'Exp', 'Neg', 'Erf']) await expectGradients([{ name: 'x', dims: [2, 3] }], (g, [x]) => g.op(op, [x]));
    for (const op of ['Sqrt', 'Reciprocal', 'Log']) await expectGradients([{ name: 'x', dims: [2, 3], data: positive }], (g, [x]) => g.op(op, [x]));
    await expectGradients([{ name: 'x', dims: [2, 3], data: positive }], (g, [x]) => g.op('Pow', [x, g.floats([2.5], [])]));
    await expectGradients([{ name: 'x', dims: [2, 3] }], (g, [x]) => g.op('Mul', [x, g.op('Sigmoid', [x])]));
  });

  it('Gelu, exact and tanh', async () => {
    await expectGradients([{ name: 'x', dims: [2, 5] }], (g, [x]) => g.op('Gelu', [x]));
    await expectGradients([{ name: 'x', dims: [2, 5] }], (g, [x]) => g.op('Gelu', [x], { approximate: attr.string('tanh') }));
  });

  it('Where and Cast', async () => {
    await expectGradients([{ name: 'a', dims: [2, 3] }, { name: 'b', dims: [3] }], (g, [a, b]) =>
      g.op('Cast', [g.op('Where', [g.op('Greater', [a, g.floats([0], [])]), a, b])], { to: attr.int(DataType.FLOAT) }),
    );
  });

  it('Reshape, Transpose, Unsqueeze, Squeeze, Concat, Slice, Tile, Expand', async () => {
    await expectGradients([{ name: 'x', dims: [2, 6] }], (g, [x]) => g.op('Reshape', [x, g.int64s([3, -1, 2], [3])]));
    await expectGradients([{ name: 'x', dims: [2, 3, 4] }], (g, [x]) => g.op('Transpose', [x], { perm: attr.ints([1, 2, 0]) }));
    await expectGradients([{ name: 'x', dims: [2, 3] }], (g, [x]) => g.op('Squeeze', [g.op('Unsqueeze', [x, g.int64s([1], [1])]), g.int64s([1], [1])]));
    await expectGradients([{ name: 'a', dims: [2, 3] }, { name: 'b', dims: [2, 2] }], (g, [a, b]) => g.op('Concat', [a, b, a], { axis: attr.int(-1) }));
    await expectGradients([{ name: 'x', dims: [3, 5] }], (g, [x]) => g.op('Slice', [x, g.int64s([1, -4]), g.int64s([100, -1]), g.int64s([0, 1])]));
    await expectGradients([{ name: 'x', dims: [2, 1, 3] }], (g, [x]) => g.op('Tile', [x, g.int64s([2, 3, 1])]));
    await expectGradients([{ name: 'x', dims: [1, 3] }], (g, [x]) => g.op('Expand', [x, g.int64s([2, 3])]));
  });

  it('ReduceSum, ReduceMean, Softmax, LogSoftmax, GatherElements', async () => {
    await expectGradients([{ name: 'x', dims: [2, 3, 4] }], (g, [x]) => g.op('ReduceSum', [x, g.int64s([1], [1])], { keepdims: attr.int(0) }));
    await expectGradients([{ name: 'x', dims: [2, 3, 4] }], (g, [x]) => g.op('ReduceMean', [x, g.int64s([-1], [1])], { keepdims: attr.int(1) }));
    await expectGradients([{ name: 'x', dims: [2, 5] }], (g, [x]) => g.op('Mul', [g.op('Softmax', [x], { axis: attr.int(-1) }), g.floats([1, 2, 3, 4, 5], [5])]));
    await expectGradients([{ name: 'x', dims: [2, 5] }], (g, [x]) => g.op('LogSoftmax', [x], { axis: attr.int(-1) }));
    await expectGradients([{ name: 'x', dims: [2, 5] }, { name: 'i', dims: [2, 1], data: BigInt64Array.from([3n, 0n]) }], (g, [x, i]) =>
      g.op('GatherElements', [x, i], { axis: attr.int(1) }),
    );
  });

  it('RMSNorm, LayerNorm and RotaryEmbedding (the fused ops)', async () => {
    const weight = Float32Array.from([0.5, 1.5, -1, 2]);
    await expectGradients([{ name: 'x', dims: [2, 3, 4] }], (g, [x]) =>
      g.op('SimplifiedLayerNormalization', [x, g.initializer('w', DataType.FLOAT, [4], weight)], { axis: attr.int(-1), epsilon: attr.float(1e-5) }),
    );
    await expectGradients([{ name: 'x', dims: [2, 3, 4] }], (g, [x]) =>
      g.op('LayerNormalization', [x, g.initializer('w', DataType.FLOAT, [4], weight), g.floats([0.1, 0, 0, 0.2])], { axis: attr.int(-1), epsilon: attr.float(1e-5) }),
    );
    const positions = 6;
    const cos = Float32Array.from({ length: positions * 2 }, (_, k) => Math.cos(Math.floor(k / 2) * (k % 2 ? 0.1 : 1)));
    const sin = Float32Array.from({ length: positions * 2 }, (_, k) => Math.sin(Math.floor(k / 2) * (k % 2 ? 0.1 : 1)));
    await expectGradients([{ name: 'x', dims: [1, 3, 8] }, { name: 'p', dims: [1, 3], data: BigInt64Array.from([0n, 2n, 5n]) }], (g, [x, p]) =>
      g.op(
        'RotaryEmbedding',
        [x, p, g.initializer('cos', DataType.FLOAT, [positions, 2], cos), g.initializer('sin', DataType.FLOAT, [positions, 2], sin)],
        { interleaved: attr.int(0), num_heads: attr.int(2) },
        { domain: 'com.microsoft' },
      ),
    );
  });

  it('a value used twice gets the sum of both gradients, and only parameters on the path get nodes', async () => {
    await expectGradients([{ name: 'x', dims: [2, 2] }, { name: 'w', dims: [2, 2], trained: false }], (g, [x, w]) => g.op('Add', [g.op('MatMul', [x, w]), g.op('Mul', [x, x])]));
    const g = new TapeGraph();
    const x = g.input('x', DataType.FLOAT, [2]);
    const unused = g.input('unused', DataType.FLOAT, [2]);
    const frozen = g.op('Exp', [g.initializer('c', DataType.FLOAT, [2], Float32Array.from([1, 2]))]);
    const loss = g.op('ReduceSum', [g.op('Mul', [x, frozen])], { keepdims: attr.int(0) });
    const before = g.nodes.length;
    const grads = differentiate(g, loss, [x, unused]);
    const added = g.nodes.slice(before);
    assert.ok(!added.some((node) => node.inputs.includes(frozen) && node.opType === 'Exp'), 'no gradient flows into the frozen branch');
    assert.ok(grads.get('unused'), 'a parameter the loss ignores gets a (zero) gradient');
  });

  it('names the op when a rule is missing', () => {
    const g = new TapeGraph();
    const x = g.input('x', DataType.FLOAT, [2]);
    const loss = g.op('ReduceSum', [g.op('Sin', [x])], { keepdims: attr.int(0) });
    assert.throws(() => differentiate(g, loss, [x]), (error: GradientError) => /No gradient rule for Sin/.test(error.message));
  });
});
