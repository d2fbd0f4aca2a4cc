// Rank inference for the ops a model builder and the differentiator emit. Gradient rules need
// ranks (a batched MatMul's gradient transposes the last two axes of an operand of known rank);
// exact dims are not needed, so dims stay symbolic and only ranks are tracked.
import type { TensorData } from '../engine/onnx/graph.ts';
import type { TapeNode } from './tape-graph.ts';

/** What the tape knows about its values without running the graph. */
export interface ValueFacts {
  rank(value: string): number | undefined;
  constant(value: string): TensorData | undefined;
  /** The length of a 1-D shape vector made by the graph (see inferVectorLength). */
  vectorLength(value: string): number | undefined;
}

const SAME_AS_FIRST = new Set([
  'Identity', 'Neg', 'Abs', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Relu', 'Erf', 'Cast', 'Softmax', 'LogSoftmax',
  'Gelu', 'FastGelu', 'QuickGelu', 'SimplifiedLayerNormalization', 'LayerNormalization', 'RotaryEmbedding', 'Transpose', 'Slice',
  'Tile', 'Not', 'Round', 'Clip', 'Concat', 'Pad', 'CumSum', 'ScatterElements', 'Dropout', 'Split', 'Floor', 'Ceil',
]);
const BROADCASTING = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Where', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Max', 'Min', 'Sum', 'Mod']);
const REDUCTIONS = new Set(['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceLogSumExp', 'ReduceSumSquare']);

/** The rank of each output of `node`, undefined where unknown. */
export function inferOutputRanks(node: TapeNode, facts: ValueFacts): (number | undefined)[] {
  const rankOf = (value: string) => facts.rank(value);
  const first = (): number | undefined => (node.inputs[0] ? rankOf(node.inputs[0]) : undefined);
  const count = node.outputs.length;
  const all = (rank: number | undefined) => Array.from({ length: count }, () => rank);
  const op = node.opType;
  if (SAME_AS_FIRST.has(op)) {
    // Optional extra outputs (a norm's saved statistics) are not tracked.
    return [first(), ...Array.from({ length: count - 1 }, () => (op === 'Split' ? first() : undefined))];
  }
  if (BROADCASTING.has(op)) {
    const ranks = node.inputs.filter((i) => i !== '').map(rankOf);
    return all(ranks.some((r) => r === undefined) ? undefined : Math.max(...(ranks as number[])));
  }
  if (REDUCTIONS.has(op)) {
    const rank = first();
    const keepdims = attrInt(node, 'keepdims', 1) === 1;
    if (rank === undefined) return all(undefined);
    if (keepdims) return all(rank);
    const axes = node.inputs[1] ? facts.constant(node.inputs[1]) : undefined;
    if (node.inputs[1] && axes === undefined) return all(undefined);
    return all(axes === undefined ? 0 : rank - axes.length);
  }
  switch (op) {
    case 'MatMul':
    case 'MatMulNBits':
    case 'DynamicQuantizeMatMul':
    case 'MatMulInteger': {
      const a = rankOf(node.inputs[0]);
      const b = rankOf(node.inputs[1]);
      if (op === 'MatMulNBits' || op === 'DynamicQuantizeMatMul') return all(a);
      return all(a === undefined || b === undefined ? undefined : Math.max(a, b));
    }
    case 'Gemm':
      return all(2);
    case 'Shape':
    case 'Range':
    case 'NonZero':
      return all(op === 'NonZero' ? 2 : 1);
    case 'Size':
      return all(0);
    case 'Reshape':
    case 'ConstantOfShape':
    case 'Expand': {
      const length = vectorLength(node.inputs[op === 'ConstantOfShape' ? 0 : 1], facts);
      if (op === 'Expand') {
        const rank = first();
        return all(rank === undefined || length === undefined ? undefined : Math.max(rank, length));
      }
      return all(length);
    }
    case 'Unsqueeze':
    case 'Squeeze': {
      const rank = first();
      const axes = node.inputs[1] ? facts.constant(node.inputs[1]) : undefined;
      if (rank === undefined || axes === undefined) return all(undefined);
      return all(op === 'Unsqueeze' ? rank + axes.length : rank - axes.length);
    }
    case 'Gather': {
      const data = rankOf(node.inputs[0]);
      const indices = rankOf(node.inputs[1]);
      return all(data === undefined || indices === undefined ? undefined : data - 1 + indices);
    }
    case 'GatherElements':
      return all(rankOf(node.inputs[1]));
    case 'OneHot': {
      const rank = first();
      return all(rank === undefined ? undefined : rank + 1);
    }
    case 'GroupQueryAttention':
    case 'GatherBlockQuantized':
      return all(undefined);
    default:
      return all(undefined);
  }
}

/**
 * The length of the 1-D int64 vector a node makes (Shape, a Concat of shape pieces, a Gather of
 * a shape at constant indices), so that a later Reshape or Expand to it has a known rank.
 */
export function inferVectorLength(node: TapeNode, facts: ValueFacts): number | undefined {
  if (node.opType === 'Shape') {
    const rank = facts.rank(node.inputs[0]);
    if (rank === undefined) return undefined;
    const norm = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
    return Math.max(norm(attrInt(node, 'end', rank)) - norm(attrInt(node, 'start', 0)), 0);
  }
  if (node.opType === 'Concat' && facts.rank(node.inputs[0]) === 1) {
    const lengths = node.inputs.map((input) => vectorLength(input, facts));
    return lengths.every((l) => l !== undefined) ? (lengths as number[]).reduce((a, b) => a + b, 0) : undefined;
  }
  if (node.opType === 'Gather' && facts.rank(node.inputs[0]) === 1) return facts.constant(node.inputs[1])?.length;
  return undefined;
}

function vectorLength(value: string | undefined, facts: ValueFacts): number | undefined {
  if (!value) return undefined;
  return facts.constant(value)?.length ?? facts.vectorLength(value);
}

function attrInt(node: TapeNode, name: string, fallback: number): number {
  const a = node.attributes[name];
  return a && a.kind === 'int' ? a.value : fallback;
}
