// Symbolic shape inference for the ops a model builder and the differentiator emit. A dim is a
// number, or a string naming how it is computed ('batch_size', 'sequence_length[1:-1]'); two
// dims with the same name are equal at run time because they come from the same computation.
// The differentiator uses shapes to skip work: a gradient already shaped like its operand needs
// no run-time reduction (see broadcast-gradient.ts). Unknown shapes are undefined, and then the
// run-time path is taken, so a shape is never guessed.
import type { Dim, TensorData } from '../engine/onnx/graph.ts';
import type { TapeNode } from './tape-graph.ts';

export type Shape = Dim[];

/** What the tape knows about its values without running the graph. */
export interface ShapeFacts {
  shape(value: string): Shape | undefined;
  constant(value: string): TensorData | undefined;
  producer(value: string): TapeNode | undefined;
}

const SAME_AS_FIRST = new Set([
  'Identity', 'Neg', 'Abs', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Relu', 'Erf', 'Cast', 'Softmax', 'LogSoftmax', 'Gelu',
  'FastGelu', 'QuickGelu', 'SimplifiedLayerNormalization', 'LayerNormalization', 'RotaryEmbedding', 'Not', 'Round', 'Clip', 'CumSum',
  'ScatterElements', 'Dropout', 'Floor', 'Ceil',
]);
const BROADCASTING = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Where', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Max', 'Min', 'Sum', 'Mod']);
const REDUCTIONS = new Set(['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceLogSumExp', 'ReduceSumSquare']);

export function sameShape(a: Shape | undefined, b: Shape | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((d, i) => d === b[i]);
}

export function broadcastShapes(shapes: (Shape | undefined)[]): Shape | undefined {
  if (shapes.some((s) => s === undefined)) return undefined;
  const rank = Math.max(...shapes.map((s) => s!.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of shapes as Shape[]) {
      const d = s[i - (rank - s.length)];
      if (d === undefined || d === 1 || d === dim) continue;
      dim = dim === 1 ? d : `broadcast(${dim},${d})`;
    }
    out.push(dim);
  }
  return out;
}

/** Output shapes of `node` (undefined where unknown). */
export function inferOutputShapes(node: TapeNode, facts: ShapeFacts): (Shape | undefined)[] {
  const shapeOf = (i: number) => (node.inputs[i] ? facts.shape(node.inputs[i]) : undefined);
  const all = (shape: Shape | undefined) => node.outputs.map((_, i) => (i === 0 ? shape : undefined));
  const op = node.opType;
  if (SAME_AS_FIRST.has(op)) return all(shapeOf(0));
  if (BROADCASTING.has(op)) return all(broadcastShapes(node.inputs.filter((i) => i !== '').map((i) => facts.shape(i))));
  if (REDUCTIONS.has(op)) return all(reducedShape(node, shapeOf(0), facts));
  switch (op) {
    case 'MatMul': {
      const a = shapeOf(0);
      const b = shapeOf(1);
      if (!a || !b || a.length < 2 || b.length < 2) return all(undefined);
      const batch = broadcastShapes([a.slice(0, -2), b.slice(0, -2)]);
      return all(batch && [...batch, a[a.length - 2], b[b.length - 1]]);
    }
    case 'Gemm': {
      const a = shapeOf(0);
      const b = shapeOf(1);
      if (!a || !b) return all(undefined);
      return all([intAttr(node, 'transA', 0) ? a[1] : a[0], intAttr(node, 'transB', 0) ? b[0] : b[1]]);
    }
    case 'Gather': {
      const data = shapeOf(0);
      const indices = shapeOf(1);
      if (!data || !indices) return all(undefined);
      const axis = normalizeAxis(intAttr(node, 'axis', 0), data.length);
      return all([...data.slice(0, axis), ...indices, ...data.slice(axis + 1)]);
    }
    case 'GatherElements':
      return all(shapeOf(1));
    case 'Transpose': {
      const x = shapeOf(0);
      const perm = intsAttr(node, 'perm');
      if (!x) return all(undefined);
      return all(perm ? perm.map((p) => x[p]) : [...x].reverse());
    }
    case 'Reshape':
      return all(reshaped(shapeOf(0), node.inputs[1], facts));
    case 'Expand': {
      const target = shapeVector(node.inputs[1], facts);
      return all(target && broadcastShapes([shapeOf(0), target]));
    }
    case 'ConstantOfShape':
      return all(shapeVector(node.inputs[0], facts));
    case 'Unsqueeze':
    case 'Squeeze': {
      const x = shapeOf(0);
      const axes = node.inputs[1] ? facts.constant(node.inputs[1]) : undefined;
      if (!x || !axes) return all(undefined);
      const list = Array.from(axes as BigInt64Array, Number);
      if (op === 'Squeeze') {
        const drop = new Set(list.map((a) => normalizeAxis(a, x.length)));
        return all(x.filter((_, i) => !drop.has(i)));
      }
      const rank = x.length + list.length;
      const insert = new Set(list.map((a) => normalizeAxis(a, rank)));
      const out: Dim[] = [];
      let k = 0;
      for (let i = 0; i < rank; i++) out.push(insert.has(i) ? 1 : x[k++]);
      return all(out);
    }
    case 'Concat': {
      const shapes = node.inputs.map((i) => facts.shape(i));
      if (shapes.some((s) => !s)) return all(undefined);
      const first = shapes[0]!;
      const axis = normalizeAxis(intAttr(node, 'axis', 0), first.length);
      const dims = shapes.map((s) => s![axis]);
      const joined: Dim = dims.every((d) => typeof d === 'number') ? (dims as number[]).reduce((a, b) => a + b, 0) : `concat(${dims.join(',')})`;
      return all(first.map((d, i) => (i === axis ? joined : d)));
    }
    case 'Slice': {
      const x = shapeOf(0);
      if (!x) return all(undefined);
      const [, starts, ends, axesInput] = node.inputs;
      const s = facts.constant(starts);
      const e = facts.constant(ends);
      const axes = axesInput ? facts.constant(axesInput) : undefined;
      if (!s || !e || (axesInput && !axes) || node.inputs[4]) return all(undefined);
      const out = [...x];
      Array.from(s as BigInt64Array, Number).forEach((start, k) => {
        const axis = normalizeAxis(axes ? Number((axes as BigInt64Array)[k]) : k, x.length);
        const end = Number((e as BigInt64Array)[k]);
        const d = x[axis];
        if (typeof d === 'number') {
          const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
          out[axis] = Math.max(clamp(end) - clamp(start), 0);
        } else out[axis] = `${d}[${start}:${end}]`;
      });
      return all(out);
    }
    case 'Tile': {
      const x = shapeOf(0);
      const repeats = facts.constant(node.inputs[1]);
      if (!x || !repeats) return all(undefined);
      return all(x.map((d, i) => {
        const r = Number((repeats as BigInt64Array)[i]);
        if (r === 1) return d;
        return typeof d === 'number' ? d * r : `${d}*${r}`;
      }));
    }
    case 'Split': {
      const x = shapeOf(0);
      const sizes = node.inputs[1] ? shapeVector(node.inputs[1], facts) : undefined;
      if (!x || !sizes || sizes.length !== node.outputs.length) return node.outputs.map(() => undefined);
      const axis = normalizeAxis(intAttr(node, 'axis', 0), x.length);
      return sizes.map((size) => x.map((d, i) => (i === axis ? size : d)));
    }
    case 'Shape': {
      const x = shapeOf(0);
      return all(x && [x.length]);
    }
    case 'Range': {
      const length = rangeLength(node, facts);
      return all(length === undefined ? undefined : [length]);
    }
    default:
      return all(undefined);
  }
}

function reducedShape(node: TapeNode, x: Shape | undefined, facts: ShapeFacts): Shape | undefined {
  if (!x) return undefined;
  const keepdims = intAttr(node, 'keepdims', 1) === 1;
  const axesInput = node.inputs[1];
  const axesData = axesInput ? facts.constant(axesInput) : undefined;
  if (axesInput && !axesData) return undefined;
  const axes = axesData ? new Set(Array.from(axesData as BigInt64Array, (a) => normalizeAxis(Number(a), x.length))) : new Set(x.map((_, i) => i));
  if (keepdims) return x.map((d, i) => (axes.has(i) ? 1 : d));
  return x.filter((_, i) => !axes.has(i));
}

function reshaped(x: Shape | undefined, target: string, facts: ShapeFacts): Shape | undefined {
  const constant = facts.constant(target);
  if (!constant) return shapeVector(target, facts);
  const dims = Array.from(constant as BigInt64Array, Number);
  const out: Dim[] = dims.map((d, i) => (d === 0 ? (x ? x[i] : `?`) : d));
  if (out.includes('?')) return undefined;
  const inferred = dims.indexOf(-1);
  if (inferred >= 0) {
    if (!x) return undefined;
    out[inferred] = quotient(x, out.filter((_, i) => i !== inferred));
  }
  return out;
}

/**
 * The dim a Reshape's −1 stands for: Π numerator / Π denominator, with equal named dims
 * cancelled, so that e.g. [batch, 4, 2, seq, 32] viewed as [batch, 8, −1, 32] gives `seq`.
 */
function quotient(numerator: Shape, denominator: Shape): Dim {
  const top = numerator.filter((d) => typeof d === 'string') as string[];
  const bottom: string[] = [];
  for (const d of denominator) {
    if (typeof d !== 'string') continue;
    const at = top.indexOf(d);
    if (at >= 0) top.splice(at, 1);
    else bottom.push(d);
  }
  const product = (dims: Shape) => dims.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1);
  const ratio = product(numerator) / product(denominator);
  if (bottom.length === 0 && top.length === 0 && Number.isInteger(ratio)) return ratio;
  if (bottom.length === 0 && top.length === 1 && ratio === 1) return top[0];
  return `(${[...top, ratio].join('*')})/(${bottom.join('*') || 1})`;
}

/** The value of an int64 scalar made from shapes (a length), when the graph makes it from shapes and constants. */
export function scalarValue(value: string, facts: ShapeFacts): Dim | undefined {
  const constant = facts.constant(value);
  if (constant) return constant.length === 1 ? Number(constant[0]) : undefined;
  const node = facts.producer(value);
  if (!node) return undefined;
  if (node.opType === 'Squeeze' || node.opType === 'Reshape') {
    const vector = shapeVector(node.inputs[0], facts);
    return vector?.length === 1 ? vector[0] : undefined;
  }
  if (node.opType === 'Sub') {
    const a = scalarValue(node.inputs[0], facts);
    const b = scalarValue(node.inputs[1], facts);
    if (a === undefined || b === undefined) return undefined;
    if (a === b) return 0;
    return typeof a === 'number' && typeof b === 'number' ? a - b : `${a}-${b}`;
  }
  return undefined;
}

/** The length of Range(start, limit, 1). */
function rangeLength(node: TapeNode, facts: ShapeFacts): Dim | undefined {
  if (scalarValue(node.inputs[2], facts) !== 1) return undefined;
  const start = scalarValue(node.inputs[0], facts);
  const limit = scalarValue(node.inputs[1], facts);
  if (start === undefined || limit === undefined) return undefined;
  if (start === 0) return limit;
  if (typeof start === 'number' && typeof limit === 'number') return Math.max(limit - start, 0);
  // Range(total − new, total): `new` elements.
  if (typeof start === 'string' && start.startsWith(`${limit}-`)) return start.slice(String(limit).length + 1);
  return undefined;
}

/** The values of a 1-D int64 vector as dims, when the graph makes it from shapes and constants. */
export function shapeVector(value: string, facts: ShapeFacts): Shape | undefined {
  const constant = facts.constant(value);
  if (constant) return Array.from(constant as BigInt64Array, Number);
  const node = facts.producer(value);
  if (!node) return undefined;
  if (node.opType === 'Shape') {
    const x = facts.shape(node.inputs[0]);
    if (!x) return undefined;
    const norm = (v: number) => Math.min(Math.max(v < 0 ? v + x.length : v, 0), x.length);
    return x.slice(norm(intAttr(node, 'start', 0)), norm(intAttr(node, 'end', x.length)));
  }
  if (node.opType === 'Concat') {
    const parts = node.inputs.map((i) => shapeVector(i, facts));
    return parts.some((p) => !p) ? undefined : parts.flatMap((p) => p!);
  }
  if (node.opType === 'Gather') {
    const source = shapeVector(node.inputs[0], facts);
    const indices = facts.constant(node.inputs[1]);
    if (!source || !indices || facts.shape(node.inputs[1])?.length !== 1) return undefined;
    return Array.from(indices as BigInt64Array, (i) => source[normalizeAxis(Number(i), source.length)]);
  }
  return undefined;
}

function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function intAttr(node: TapeNode, name: string, fallback: number): number {
  const a = node.attributes[name];
  return a?.kind === 'int' ? a.value : fallback;
}

function intsAttr(node: TapeNode, name: string): number[] | undefined {
  const a = node.attributes[name];
  return a?.kind === 'ints' ? a.value : undefined;
}
