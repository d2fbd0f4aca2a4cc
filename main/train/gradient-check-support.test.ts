import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkGradients, relativeError } from './gradient-check-support.ts';

describe('gradient check: a broken gradient cannot pass', () => {
  it('counts NaN and infinite errors as infinitely wrong', () => {
    assert.equal(relativeError(NaN, 1), Infinity);
    assert.equal(relativeError(1, NaN), Infinity);
    assert.equal(relativeError(Infinity, 3), Infinity);
    assert.equal(relativeError(Infinity, Infinity), Infinity); // Inf − Inf is NaN
    assert.ok(Math.abs(relativeError(2.5, 2) - 0.25) < 1e-12);
  });

  it('fails on a NaN gradient: √(x·x) at x = 0 differentiates to ∞·0, while the finite difference is 0', async () => {
    // The NaN element comes first, so a later finite error must not replace it as the worst.
    const { worstError, worstAt } = await checkGradients([{ name: 'x', dims: [3], data: Float32Array.from([0, 0.5, -0.7]) }], (g, [x]) =>
      g.op('Sqrt', [g.op('Mul', [x, x])]),
    );
    assert.equal(worstError, Infinity);
    assert.match(worstAt, /^x\[0\]: analytic NaN, numeric 0$/);
  });

  it('fails on an infinite gradient: 1/x at x = 1e-13 overflows float32 in the backward pass only', async () => {
    // loss = y(y + 0.37) with y = 1/x ≈ 1e13 stays finite (≈1e26); its gradient −y²(2y + 0.37) ≈ −2e39 does not.
    const { worstError, worstAt } = await checkGradients([{ name: 'x', dims: [2], data: Float32Array.from([0.5, 1e-13]) }], (g, [x]) => g.op('Reciprocal', [x]));
    assert.equal(worstError, Infinity);
    assert.match(worstAt, /^x\[1\]: analytic -Infinity, numeric /);
  });

  it('still passes a correct gradient', async () => {
    const { worstError } = await checkGradients([{ name: 'x', dims: [4], data: Float32Array.from([0.3, -0.5, 0.9, 1.2]) }], (g, [x]) => g.op('Mul', [x, x]));
    assert.ok(worstError < 2e-3, `worst relative error ${worstError}`);
  });
});
