// A Graph (see ../engine/onnx/graph.ts) that records nodes in memory instead of writing ONNX,
// so the model builder's own layer assembly can be reused for training: the differentiator
// walks the recorded nodes backwards and appends the gradient nodes to the same tape, and the
// whole tape is then replayed into a GraphBuilder as one ordinary ONNX graph.
//
// Two liberties are taken while recording, both invisible to the builder:
// - values marked empty (the KV cache a training pass does not have) vanish from Concat, so the
//   reference attention's `Concat(past, new)` becomes the new keys themselves;
// - every value's rank is inferred, because gradient rules need it (e.g. which axes a batched
//   MatMul transposes).
import { DataType, type AttributeValue, type Dim, type Graph, type NodeOptions, type TensorData } from '../engine/onnx/graph.ts';
import { inferOutputRanks, inferVectorLength, type ValueFacts } from './value-ranks.ts';
import { inferOutputShapes, type Shape, type ShapeFacts } from './value-shapes.ts';

export interface TapeNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttributeValue>;
}

export interface TapeTensor {
  type: DataType;
  dims: number[];
  data: TensorData;
}

export interface TapeValueInfo {
  name: string;
  type: DataType;
  dims: Dim[];
}

/** A wrong use of the tape: an unknown value, a duplicate name. */
export class TapeError extends Error {
  override name = 'TapeError';
}

export class TapeGraph implements Graph, ValueFacts, ShapeFacts {
  readonly inputs: TapeValueInfo[] = [];
  readonly outputs: (TapeValueInfo & { value: string })[] = [];
  readonly initializers = new Map<string, TapeTensor>();
  readonly nodes: TapeNode[] = [];
  private readonly producers = new Map<string, TapeNode>();
  private readonly ranks = new Map<string, number>();
  private readonly vectorLengths = new Map<string, number>();
  private readonly shapes = new Map<string, Shape>();
  private readonly aliases = new Map<string, string>();
  private readonly empty = new Set<string>();
  private readonly constants = new Map<string, string>();
  private readonly nodeNames = new Set<string>();

  /** Declares that `name` will always be an empty tensor: Concat leaves it out. */
  markEmpty(name: string): void {
    this.empty.add(name);
  }

  input(name: string, type: DataType, dims: Dim[]): string {
    this.define(name, dims.length);
    this.shapes.set(name, [...dims]);
    this.inputs.push({ name, type, dims });
    return name;
  }

  output(name: string, type: DataType, dims: Dim[], value?: string): void {
    const source = this.resolve(value ?? name);
    this.requireValue(source, `graph output ${name}`);
    this.outputs.push({ name, type, dims, value: source });
  }

  initializer(name: string, type: DataType, dims: number[], data: TensorData): string {
    this.define(name, dims.length);
    this.shapes.set(name, [...dims]);
    this.initializers.set(name, { type, dims: [...dims], data });
    return name;
  }

  node(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, options: NodeOptions = {}): string[] {
    let resolved = inputs.map((input) => (input === '' ? '' : this.resolve(input)));
    const requested = options.outputs ?? 1;
    if (opType === 'Concat' && resolved.some((input) => this.empty.has(input))) {
      resolved = resolved.filter((input) => !this.empty.has(input));
      if (resolved.length === 1 && Array.isArray(requested) && requested.length === 1) {
        this.aliases.set(requested[0], resolved[0]);
        return [...requested];
      }
    }
    for (const input of resolved) if (input !== '') this.requireValue(input, `input of ${opType}`);
    const name = this.uniqueNodeName(options.name ?? opType);
    const prefix = name.startsWith('/') ? name : `/${name}`;
    const outputs = typeof requested === 'number' ? Array.from({ length: requested }, (_, i) => `${prefix}/output_${i}`) : [...requested];
    const node: TapeNode = { name, opType, domain: options.domain ?? '', inputs: resolved, outputs, attributes };
    const ranks = inferOutputRanks(node, this);
    const shapes = inferOutputShapes(node, this);
    const length = inferVectorLength(node, this);
    if (length !== undefined) this.vectorLengths.set(outputs[0], length);
    outputs.forEach((output, i) => {
      if (output === '') return;
      this.define(output, ranks[i] ?? shapes[i]?.length);
      this.producers.set(output, node);
      const shape = shapes[i];
      if (shape) this.shapes.set(output, shape);
    });
    this.nodes.push(node);
    return outputs;
  }

  op(opType: string, inputs: string[], attributes?: Record<string, AttributeValue>, options?: NodeOptions): string {
    const outputs = this.node(opType, inputs, attributes, { ...options, outputs: options?.outputs ?? 1 });
    if (outputs.length !== 1) throw new TapeError(`op(${opType}) makes a single-output node; use node() for ${outputs.length} outputs`);
    return outputs[0];
  }

  int64s(values: number[], dims: number[] = [values.length]): string {
    return this.constantTensor('int64', DataType.INT64, dims, BigInt64Array.from(values, (v) => BigInt(v)));
  }

  floats(values: number[], dims: number[] = [values.length]): string {
    return this.constantTensor('float', DataType.FLOAT, dims, Float32Array.from(values));
  }

  /** The name a value is known by after aliasing (see markEmpty). */
  resolve(name: string): string {
    let current = name;
    for (let next = this.aliases.get(current); next !== undefined; next = this.aliases.get(current)) current = next;
    return current;
  }

  /** The node that computes `value`, or undefined for inputs and initializers. */
  producer(value: string): TapeNode | undefined {
    return this.producers.get(this.resolve(value));
  }

  /** The value's rank, or undefined where it cannot be inferred. */
  rank(value: string): number | undefined {
    const r = this.ranks.get(this.resolve(value));
    return r === undefined || r < 0 ? undefined : r;
  }

  /** The data of an initializer (constants included), or undefined for computed values. */
  constant(value: string): TensorData | undefined {
    return this.initializers.get(this.resolve(value))?.data;
  }

  /** The value's symbolic shape (see value-shapes.ts), or undefined where unknown. */
  shape(value: string): Shape | undefined {
    return this.shapes.get(this.resolve(value));
  }

  vectorLength(value: string): number | undefined {
    return this.vectorLengths.get(this.resolve(value));
  }

  /** Like rank(), but throws a clear error where the rank is needed and unknown. */
  requireRank(value: string, why: string): number {
    const r = this.rank(value);
    if (r === undefined) throw new TapeError(`The rank of ${value} is unknown, but ${why} needs it.`);
    return r;
  }

  /**
   * Replays the tape into another graph (a GraphBuilder), keeping only the nodes and
   * initializers the declared outputs need. Every declared input is kept.
   */
  writeTo(graph: Graph): void {
    const needed = new Set<string>(this.outputs.map((o) => o.value));
    const keptNodes: TapeNode[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i];
      if (!node.outputs.some((output) => needed.has(output))) continue;
      keptNodes.push(node);
      for (const input of node.inputs) if (input !== '') needed.add(input);
    }
    keptNodes.reverse();
    for (const input of this.inputs) graph.input(input.name, input.type, input.dims);
    for (const [name, tensor] of this.initializers) if (needed.has(name)) graph.initializer(name, tensor.type, tensor.dims, tensor.data);
    for (const node of keptNodes) graph.node(node.opType, node.inputs, node.attributes, { domain: node.domain || undefined, outputs: node.outputs, name: node.name });
    for (const output of this.outputs) graph.output(output.name, output.type, output.dims, output.value);
  }

  private constantTensor(kind: string, type: DataType, dims: number[], data: Float32Array | BigInt64Array): string {
    const key = `${kind}[${dims.join(',')}]:${Array.from(data as ArrayLike<number | bigint>, String).join(',')}`;
    const existing = this.constants.get(key);
    if (existing !== undefined) return existing;
    let name = `/constants/${kind}_${this.constants.size}`;
    for (let i = 1; this.ranks.has(name); i++) name = `/constants/${kind}_${this.constants.size}_${i}`;
    this.initializer(name, type, dims, data);
    this.constants.set(key, name);
    return name;
  }

  private uniqueNodeName(base: string): string {
    let name = base;
    const prefix = (n: string) => (n.startsWith('/') ? n : `/${n}`);
    for (let i = 1; this.nodeNames.has(name) || this.ranks.has(`${prefix(name)}/output_0`); i++) name = `${base}_${i}`;
    this.nodeNames.add(name);
    return name;
  }

  private define(name: string, rank: number | undefined): void {
    if (name === '') throw new TapeError('A value needs a name.');
    if (this.ranks.has(name) || this.aliases.has(name)) throw new TapeError(`The value name ${name} is already defined.`);
    this.ranks.set(name, rank ?? -1);
  }

  private requireValue(name: string, what: string): void {
    if (!this.ranks.has(name)) throw new TapeError(`${what}: no value named ${name}; define it before using it.`);
  }
}
