// Direct Preference Optimization's sigmoid loss, as TRL's DPOTrainer computes it: for each pair,
//   −log σ(β · ((log π(chosen) − log π_ref(chosen)) − (log π(rejected) − log π_ref(rejected))))
// averaged over the pairs, where each log-probability is summed over the completion's tokens.
// The batch holds the chosen rows first and the rejected rows after them (TRL's concatenated
// forward), so row i and row n + i are one pair. The reference log-probabilities come in as an
// input: they are the same graph's with the LoRA matrices at zero (the base model), computed
// beforehand, so no second copy of the model is held.
import { attr, DataType } from '../engine/onnx/graph.ts';
import type { TapeGraph } from './tape-graph.ts';

export const REF_LOGPS = 'ref_logps';
export const BETA = 'beta';

/**
 * Appends the loss given the per-row NLL summed over scored (completion) tokens; declares the
 * inputs `ref_logps` float [batch] and `beta` float [] and returns the scalar loss.
 */
export function emitDpoLoss(g: TapeGraph, rowNll: string): string {
  const refLogps = g.input(REF_LOGPS, DataType.FLOAT, ['batch_size']);
  const beta = g.input(BETA, DataType.FLOAT, []);
  const logRatios = g.op('Sub', [g.op('Neg', [rowNll]), refLogps], {}, { name: '/dpo/log_ratios' });
  const pairs = g.op('Reshape', [logRatios, g.int64s([2, -1], [2])], {}, { name: '/dpo/pairs' });
  const axis0 = g.int64s([0], [1]);
  const chosen = g.op('Slice', [pairs, g.int64s([0], [1]), g.int64s([1], [1]), axis0]);
  const rejected = g.op('Slice', [pairs, g.int64s([1], [1]), g.int64s([2], [1]), axis0]);
  const logits = g.op('Mul', [beta, g.op('Sub', [chosen, rejected])], {}, { name: '/dpo/logits' });
  // −log σ(z) as Log(Sigmoid): its gradient −(1 − σ(z)) is exact at z = 0, where every pair sits at
  // step 0 (the LoRA starts with B = 0, so the policy is the reference); a max(x, 0) + log(1 + e^−|x|)
  // form would give 0 there through Relu's derivative. σ(z) underflows to 0 only below z ≈ −87.
  const perPair = g.op('Neg', [g.op('Log', [g.op('Sigmoid', [logits])])]);
  return g.op('ReduceMean', [perPair], { keepdims: attr.int(0) }, { name: '/dpo/loss' });
}
