// The causal language-modelling loss as Hugging Face computes it: logits at position t predict
// labels[t + 1] (the shift by one), positions labelled −100 are not scored, and the loss is the
// mean cross-entropy over the scored positions of the whole batch. Per-row sums are returned too,
// for evaluation of answers one by one.
import { attr, DataType } from '../engine/onnx/graph.ts';
import type { TapeGraph } from './tape-graph.ts';

export const IGNORE_INDEX = -100;

export interface CausalLmLoss {
  /** float scalar: mean NLL over scored positions (0 when none). */
  mean: string;
  /** float [batch]: NLL summed over each row's scored positions. */
  rowSums: string;
  /** float [batch]: scored positions per row. */
  rowCounts: string;
}

export function emitCausalLmLoss(g: TapeGraph, logits: string, labels: string): CausalLmLoss {
  const seqAxis = g.int64s([1], [1]);
  const predicting = g.op('Slice', [logits, g.int64s([0], [1]), g.int64s([-1], [1]), seqAxis], {}, { name: '/loss/shift_logits' });
  const targets = g.op('Slice', [labels, g.int64s([1], [1]), g.int64s([Number.MAX_SAFE_INTEGER], [1]), seqAxis], {}, { name: '/loss/shift_labels' });
  const scored = g.op('Not', [g.op('Equal', [targets, g.int64s([IGNORE_INDEX], [])])]);
  const safeTargets = g.op('Where', [scored, targets, g.int64s([0], [])]);
  const logProbs = g.op('LogSoftmax', [predicting], { axis: attr.int(-1) }, { name: '/loss/log_softmax' });
  const picked = g.op('GatherElements', [logProbs, g.op('Unsqueeze', [safeTargets, g.int64s([-1], [1])])], { axis: attr.int(-1) });
  const weights = g.op('Cast', [scored], { to: attr.int(DataType.FLOAT) });
  const nll = g.op('Neg', [g.op('Mul', [g.op('Squeeze', [picked, g.int64s([-1], [1])]), weights])]);
  const rowSums = g.op('ReduceSum', [nll, seqAxis], { keepdims: attr.int(0) }, { name: '/loss/row_nll' });
  const rowCounts = g.op('ReduceSum', [weights, seqAxis], { keepdims: attr.int(0) }, { name: '/loss/row_count' });
  const total = g.op('ReduceSum', [rowSums], { keepdims: attr.int(0) });
  const count = g.op('ReduceSum', [rowCounts], { keepdims: attr.int(0) });
  const mean = g.op('Div', [total, g.op('Max', [count, g.floats([1], [])])], {}, { name: '/loss/mean' });
  return { mean, rowSums, rowCounts };
}
