// Writes a Graph (see graph.ts) as an ONNX model: model.onnx holds the graph and small constants,
// model.onnx.data holds every initializer of 1 KiB or more. Large initializers are written to the
// data file the moment they are added and only their location is kept, so a model of many
// gigabytes is built with little more memory than its largest single tensor.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { DataType } from './graph.ts';
import type { AttributeValue, Dim, Graph, NodeOptions, TensorData } from './graph.ts';

const { onnx } = onnxProto;

/** Initializers at least this large (in bytes) go to the external data file. */
export const EXTERNAL_THRESHOLD_BYTES = 1024;
/** Every tensor in the external data file starts at a multiple of this. */
export const EXTERNAL_ALIGNMENT_BYTES = 64;
/** A protobuf message cannot exceed 2 GiB, so neither can model.onnx. */
const MAX_GRAPH_FILE_BYTES = 2 ** 31 - 1;

export const IR_VERSION = 10;
export const OPSET_IMPORTS = [
  { domain: '', version: 21 },
  { domain: 'com.microsoft', version: 1 },
] as const;
export const PRODUCER_NAME = 'hearth';

export interface GraphBuilderOptions {
  /** Folder the model is written into; created when missing. */
  dir: string;
  /** Graph file name inside `dir` (default 'model.onnx'). */
  graphFile?: string;
  /** External data file name inside `dir` (default 'model.onnx.data'); ORT finds it through this relative name. */
  dataFile?: string;
  /** GraphProto name (default 'main_graph'). */
  graphName?: string;
}

export interface FinishedGraph {
  graphPath: string;
  dataPath: string;
  /** Bytes of every initializer, inline and external, padding excluded. */
  weightBytes: number;
}

/** A graph being built wrongly: an unknown value, a duplicate name, data that does not fit its type. */
export class GraphBuildError extends Error {
  override name = 'GraphBuildError';
}

type ArrayKind = 'Float32Array' | 'Uint16Array' | 'Uint8Array' | 'Int8Array' | 'Int32Array' | 'BigInt64Array';

/** Which typed array carries each data type's values. */
const ARRAY_FOR_TYPE: Record<DataType, ArrayKind> = {
  [DataType.FLOAT]: 'Float32Array',
  [DataType.UINT8]: 'Uint8Array',
  [DataType.INT8]: 'Int8Array',
  [DataType.INT32]: 'Int32Array',
  [DataType.INT64]: 'BigInt64Array',
  [DataType.BOOL]: 'Uint8Array',
  [DataType.FLOAT16]: 'Uint16Array',
};

function arrayKind(data: TensorData): ArrayKind {
  if (data instanceof Float32Array) return 'Float32Array';
  if (data instanceof Uint16Array) return 'Uint16Array';
  if (data instanceof Uint8Array) return 'Uint8Array';
  if (data instanceof Int8Array) return 'Int8Array';
  if (data instanceof Int32Array) return 'Int32Array';
  return 'BigInt64Array';
}

/** The bytes of a typed array as stored in ONNX raw data (little-endian, like every host we run on). */
function bytesOf(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function checkTensor(what: string, type: DataType, dims: readonly number[], data: TensorData): void {
  const expected = ARRAY_FOR_TYPE[type];
  if (expected === undefined) throw new GraphBuildError(`${what}: unsupported data type ${type}`);
  if (arrayKind(data) !== expected) {
    throw new GraphBuildError(`${what}: data type ${type} needs a ${expected}, got a ${arrayKind(data)}`);
  }
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) throw new GraphBuildError(`${what}: bad dimension ${d} in [${dims.join(', ')}]`);
  }
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new GraphBuildError(`${what}: dims [${dims.join(', ')}] hold ${count} values but the data has ${data.length}`);
  }
}

function valueInfo(name: string, type: DataType, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: type,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attributeProto(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  switch (value.kind) {
    case 'int':
      return { name, type: AttributeType.INT, i: value.value };
    case 'float':
      return { name, type: AttributeType.FLOAT, f: value.value };
    case 'string':
      return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value.value) };
    case 'ints':
      return { name, type: AttributeType.INTS, ints: value.value };
    case 'floats':
      return { name, type: AttributeType.FLOATS, floats: value.value };
    case 'tensor':
      checkTensor(`attribute ${name}`, value.type, value.dims, value.data);
      return {
        name,
        type: AttributeType.TENSOR,
        t: { dataType: value.type, dims: value.dims, rawData: bytesOf(value.data).slice() },
      };
  }
}

/** Automatic output names are `/<node name>/output_<i>`, without doubling a leading slash. */
function outputPrefix(nodeName: string): string {
  return nodeName.startsWith('/') ? nodeName : `/${nodeName}`;
}

export class GraphBuilder implements Graph {
  readonly graphPath: string;
  readonly dataPath: string;
  /** Bytes of every initializer added so far, inline and external. */
  weightBytes = 0;

  private readonly dataFile: string;
  private readonly graphName: string;
  private dataFd: number | null;
  private dataOffset = 0;
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  /** Every value defined so far: graph inputs, initializers and node outputs. */
  private readonly values = new Set<string>();
  private readonly nodeNames = new Set<string>();
  /** Small constants by their type and bytes, so each distinct one is stored once. */
  private readonly constants = new Map<string, string>();

  constructor(options: GraphBuilderOptions) {
    this.dataFile = options.dataFile ?? 'model.onnx.data';
    this.graphName = options.graphName ?? 'main_graph';
    mkdirSync(options.dir, { recursive: true });
    this.graphPath = join(options.dir, options.graphFile ?? 'model.onnx');
    this.dataPath = join(options.dir, this.dataFile);
    this.dataFd = openSync(this.dataPath, 'w');
  }

  input(name: string, type: DataType, dims: Dim[]): string {
    this.define(name, `graph input ${name}`);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: DataType, dims: Dim[], value?: string): void {
    if (value !== undefined && value !== name) this.node('Identity', [value], {}, { outputs: [name], name: `/output/${name}` });
    else this.requireValue(name, `graph output ${name}`);
    if (this.outputs.some((o) => o.name === name)) throw new GraphBuildError(`graph output ${name} is declared twice`);
    this.outputs.push(valueInfo(name, type, dims));
  }

  initializer(name: string, type: DataType, dims: number[], data: TensorData): string {
    this.requireOpen();
    checkTensor(`initializer ${name}`, type, dims, data);
    this.define(name, `initializer ${name}`);
    const bytes = bytesOf(data);
    const tensor: onnxProto.onnx.ITensorProto = { name, dataType: type, dims };
    if (bytes.byteLength >= EXTERNAL_THRESHOLD_BYTES) {
      tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      tensor.externalData = this.appendExternal(bytes);
    } else {
      // Copied so that the caller may reuse its buffer.
      tensor.rawData = bytes.slice();
    }
    this.initializers.push(tensor);
    this.weightBytes += bytes.byteLength;
    return name;
  }

  node(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, options: NodeOptions = {}): string[] {
    this.requireOpen();
    const name = this.uniqueNodeName(options.name ?? opType);
    for (const input of inputs) if (input !== '') this.requireValue(input, `input of node ${name} (${opType})`);
    const prefix = outputPrefix(name);
    const requested = options.outputs ?? 1;
    const outputs = typeof requested === 'number'
      ? Array.from({ length: requested }, (_, i) => `${prefix}/output_${i}`)
      : [...requested];
    for (const output of outputs) if (output !== '') this.define(output, `output of node ${name} (${opType})`);
    this.nodes.push({
      name,
      opType,
      domain: options.domain ?? '',
      input: inputs,
      output: outputs,
      attribute: Object.entries(attributes).map(([key, value]) => attributeProto(key, value)),
    });
    return outputs;
  }

  op(opType: string, inputs: string[], attributes?: Record<string, AttributeValue>, options?: NodeOptions): string {
    const outputs = this.node(opType, inputs, attributes, { ...options, outputs: options?.outputs ?? 1 });
    if (outputs.length !== 1) throw new GraphBuildError(`op(${opType}) makes a single-output node; use node() for ${outputs.length} outputs`);
    return outputs[0];
  }

  /** `dims` defaults to a vector of the values; pass [] for a scalar. */
  int64s(values: number[], dims: number[] = [values.length]): string {
    for (const v of values) if (!Number.isSafeInteger(v)) throw new GraphBuildError(`int64 constant: ${v} is not a safe integer`);
    return this.constant('int64', DataType.INT64, dims, BigInt64Array.from(values, (v) => BigInt(v)));
  }

  /** `dims` defaults to a vector of the values; pass [] for a scalar. */
  floats(values: number[], dims: number[] = [values.length]): string {
    return this.constant('float', DataType.FLOAT, dims, Float32Array.from(values));
  }

  /** Closes the data file and writes the graph file. The builder cannot be used afterwards. */
  finish(): FinishedGraph {
    this.requireOpen();
    closeSync(this.dataFd!);
    this.dataFd = null;
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: OPSET_IMPORTS.map((o) => ({ domain: o.domain, version: o.version })),
      producerName: PRODUCER_NAME,
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    const bytes = onnx.ModelProto.encode(model).finish();
    if (bytes.byteLength > MAX_GRAPH_FILE_BYTES) {
      throw new GraphBuildError(`${this.graphPath} would be ${bytes.byteLength} bytes, over protobuf's 2 GiB limit; move large constants to initializers`);
    }
    writeFileSync(this.graphPath, bytes);
    return { graphPath: this.graphPath, dataPath: this.dataPath, weightBytes: this.weightBytes };
  }

  /** Writes bytes at the next aligned offset of the data file and returns where they went. */
  private appendExternal(bytes: Uint8Array): onnxProto.onnx.IStringStringEntryProto[] {
    const offset = Math.ceil(this.dataOffset / EXTERNAL_ALIGNMENT_BYTES) * EXTERNAL_ALIGNMENT_BYTES;
    let written = 0;
    while (written < bytes.byteLength) {
      written += writeSync(this.dataFd!, bytes, written, bytes.byteLength - written, offset + written);
    }
    this.dataOffset = offset + bytes.byteLength;
    return [
      { key: 'location', value: this.dataFile },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(bytes.byteLength) },
    ];
  }

  private constant(kind: string, type: DataType, dims: number[], data: Float32Array | BigInt64Array): string {
    const key = `${kind}[${dims.join(',')}]:${Buffer.from(bytesOf(data)).toString('hex')}`;
    const existing = this.constants.get(key);
    if (existing !== undefined) return existing;
    let name = `/constants/${kind}_${this.constants.size}`;
    for (let i = 1; this.values.has(name); i++) name = `/constants/${kind}_${this.constants.size}_${i}`;
    this.initializer(name, type, dims, data);
    this.constants.set(key, name);
    return name;
  }

  /** A node name not used before, whose automatic output names are free too. */
  private uniqueNodeName(base: string): string {
    let name = base;
    for (let i = 1; this.nodeNames.has(name) || this.values.has(`${outputPrefix(name)}/output_0`); i++) name = `${base}_${i}`;
    this.nodeNames.add(name);
    return name;
  }

  private define(name: string, what: string): void {
    if (name === '') throw new GraphBuildError(`${what}: empty name`);
    if (this.values.has(name)) throw new GraphBuildError(`${what}: the value name ${name} is already defined`);
    this.values.add(name);
  }

  private requireValue(name: string, what: string): void {
    if (!this.values.has(name)) {
      throw new GraphBuildError(`${what}: no value named ${name}; define it (input, initializer or node output) before using it`);
    }
  }

  private requireOpen(): void {
    if (this.dataFd === null) throw new GraphBuildError(`the graph ${this.graphPath} is already finished`);
  }
}
