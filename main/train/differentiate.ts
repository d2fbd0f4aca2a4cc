// Reverse-mode differentiation over a recorded tape: appends to the tape the nodes that compute
// d(loss)/d(parameter) for each parameter. Only nodes on a path from a parameter to the loss
// get gradient nodes, so frozen weights cost nothing beyond the activations' gradients.
import { DataType } from '../engine/onnx/graph.ts';
import type { TapeGraph, TapeNode } from './tape-graph.ts';
import { elementwiseRules } from './vjp-elementwise.ts';
import { fusedRules } from './vjp-fused.ts';
import { matmulRules } from './vjp-matmul.ts';
import { quantizedRules } from './vjp-quantized.ts';
import { reduceRules } from './vjp-reduce.ts';
import { GradientError, type VjpRule } from './vjp-rule.ts';
import { shapeRules } from './vjp-shape.ts';

export const VJP_RULES: Readonly<Record<string, VjpRule>> = { ...elementwiseRules, ...matmulRules, ...shapeRules, ...reduceRules, ...fusedRules, ...quantizedRules };

/** Ops whose outputs never carry gradients (comparisons, shapes, integer results). */
const NON_DIFFERENTIABLE = new Set([
  'Shape', 'Size', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Not', 'NonZero', 'Range', 'ArgMax', 'ArgMin',
  'ConstantOfShape', 'OneHot', 'Round', 'Floor', 'Ceil',
]);

function carriesGradient(node: TapeNode): boolean {
  if (NON_DIFFERENTIABLE.has(node.opType)) return false;
  if (node.opType === 'Cast') {
    const to = node.attributes.to;
    return to?.kind === 'int' && (to.value === DataType.FLOAT || to.value === DataType.FLOAT16);
  }
  return true;
}

/**
 * A stretch of the tape recomputed in the backward (gradient checkpointing): nodes [start, end)
 * of the tape, a decoder layer, which read the float value `input` (the residual stream) and
 * produce `output`. Only `input` is kept from the forward; the backward records the segment's
 * nodes again, fed by `input` gated on the gradient of `output` (so onnxruntime cannot run them
 * before that gradient exists), and the gradient rules read the recomputed values: the forward's
 * own activations need not outlive the forward (see TrainingGraphOptions.recompute for what was measured).
 */
export interface RecomputeSegment {
  start: number;
  end: number;
  input: string;
  output: string;
}

/**
 * Appends gradient nodes for `loss` (a scalar) with respect to each parameter (graph inputs or
 * values of the tape) and returns, per parameter, the value holding its gradient. A parameter
 * the loss does not depend on gets zeros. `segments` (in tape order, not overlapping) are recomputed.
 */
export function differentiate(g: TapeGraph, loss: string, parameters: readonly string[], segments: readonly RecomputeSegment[] = []): Map<string, string> {
  const lossValue = g.resolve(loss);
  const nodes = [...g.nodes];

  // Values that depend on a parameter.
  const active = new Set(parameters.map((p) => g.resolve(p)));
  for (const node of nodes) {
    if (carriesGradient(node) && node.inputs.some((input) => active.has(input))) for (const output of node.outputs) if (output !== '') active.add(output);
  }
  if (!active.has(lossValue)) throw new GradientError(`The loss ${loss} does not depend on any parameter.`);

  // Values the loss depends on, among the active ones.
  const useful = new Set([lossValue]);
  const onPath: TapeNode[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (!node.outputs.some((output) => useful.has(output))) continue;
    if (!node.inputs.some((input) => active.has(input))) continue;
    onPath.push(node);
    for (const input of node.inputs) if (active.has(input)) useful.add(input);
  }

  const pending = new Map<string, string[]>();
  const addGrad = (value: string, grad: string) => {
    const list = pending.get(value);
    if (list) list.push(grad);
    else pending.set(value, [grad]);
  };
  const takeGrad = (value: string): string | null => {
    const list = pending.get(value);
    if (!list || list.length === 0) return null;
    // A chain of Adds rather than one Sum: the WebGPU provider has no Sum kernel.
    const total = list.slice(1).reduce((sum, grad) => g.op('Add', [sum, grad]), list[0]);
    pending.set(value, [total]);
    return total;
  };

  // Per tape node index, its segment; per segment, the map from forward values to recomputed ones (once recorded).
  const indexOf = new Map(nodes.map((node, i) => [node, i]));
  const segmentOf = (node: TapeNode) => {
    const i = indexOf.get(node)!;
    return segments.find((segment) => i >= segment.start && i < segment.end);
  };
  const recomputed = new Map<RecomputeSegment, Map<string, string>>();
  const recompute = (segment: RecomputeSegment): Map<string, string> => {
    const known = recomputed.get(segment);
    if (known) return known;
    const renamed = new Map<string, string>();
    const gradOut = takeGrad(g.resolve(segment.output));
    const input = g.resolve(segment.input);
    if (gradOut) {
      const zero = g.op('Mul', [g.op('ReduceSum', [gradOut], { keepdims: { kind: 'int', value: 0 } }), g.floats([0], [])]);
      renamed.set(input, g.op('Add', [input, zero], {}, { name: `${input}/recompute_gate` }));
    }
    for (const node of nodes.slice(segment.start, segment.end)) {
      const outputs = node.outputs.map((output) => (output === '' ? '' : `${output}/recompute`));
      g.node(node.opType, node.inputs.map((v) => (v === '' ? '' : (renamed.get(v) ?? v))), node.attributes, { domain: node.domain || undefined, outputs, name: `${node.name}/recompute` });
      node.outputs.forEach((output, i) => output !== '' && renamed.set(output, outputs[i]));
    }
    recomputed.set(segment, renamed);
    return renamed;
  };

  addGrad(lossValue, g.op('ConstantOfShape', [g.op('Shape', [lossValue])], { value: { kind: 'tensor', type: DataType.FLOAT, dims: [1], data: Float32Array.from([1]) } }));
  for (const node of onPath) {
    const grads = node.outputs.map((output) => (output === '' ? null : takeGrad(output)));
    if (grads.every((grad) => grad === null)) continue;
    const rule = VJP_RULES[node.opType];
    if (!rule) throw new GradientError(`No gradient rule for ${node.opType} (node ${node.name}), which lies between a trained parameter and the loss.`);
    const wants = node.inputs.map((input) => input !== '' && useful.has(input));
    const segment = segmentOf(node);
    const renamed = segment ? recompute(segment) : null;
    const ruleNode = renamed ? { ...node, inputs: node.inputs.map((v) => renamed.get(v) ?? v), outputs: node.outputs.map((v) => renamed.get(v) ?? v) } : node;
    const inputGrads = rule({ g, node: ruleNode, grads, wants });
    node.inputs.forEach((input, i) => {
      const grad = inputGrads[i];
      if (wants[i] && grad) addGrad(input, grad);
    });
  }

  const result = new Map<string, string>();
  for (const parameter of parameters) {
    const grad = takeGrad(g.resolve(parameter));
    result.set(parameter, grad ?? g.op('ConstantOfShape', [g.op('Shape', [parameter])], { value: { kind: 'tensor', type: DataType.FLOAT, dims: [1], data: Float32Array.from([0]) } }));
  }
  return result;
}
