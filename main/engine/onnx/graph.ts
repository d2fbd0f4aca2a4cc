// The small graph IR the model builder writes into. Values are named by strings, as in ONNX.
// The implementation (graph-builder.ts) streams large initializers straight to the external
// data file, so building a multi-GB model never holds all its weights in memory.

/** ONNX TensorProto.DataType values used here. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
} as const;
export type DataType = (typeof DataType)[keyof typeof DataType];

export type Dim = number | string;

export type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'tensor'; type: DataType; dims: number[]; data: TensorData };

/** Raw values of a tensor. FLOAT16 data is a Uint16Array of IEEE half bit patterns. */
export type TensorData = Float32Array | Uint16Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;

export interface NodeOptions {
  /** 'com.microsoft' for contrib ops; the default domain otherwise. */
  domain?: string;
  /** Output names, or a count of outputs to name automatically (default 1). '' skips an optional output. */
  outputs?: number | string[];
  /** Node name; derived from the op type when absent. */
  name?: string;
}

export interface Graph {
  /** Declares a graph input and returns its name. */
  input(name: string, type: DataType, dims: Dim[]): string;
  /** Declares a graph output; `value` is renamed to `name` through an Identity when they differ. */
  output(name: string, type: DataType, dims: Dim[], value?: string): void;
  /**
   * Adds a constant tensor. Tensors of 1 KiB or more go to the external data file beside the
   * model; smaller ones are stored inline. Returns the initializer's name.
   */
  initializer(name: string, type: DataType, dims: number[], data: TensorData): string;
  /** Adds a node and returns its output names. */
  node(opType: string, inputs: string[], attributes?: Record<string, AttributeValue>, options?: NodeOptions): string[];
  /** Shorthand for a single-output node. */
  op(opType: string, inputs: string[], attributes?: Record<string, AttributeValue>, options?: NodeOptions): string;
  /** A small int64 constant (shapes, axes, indices), deduplicated by value. */
  int64s(values: number[], dims?: number[]): string;
  /** A float32 scalar or vector constant, deduplicated by value. */
  floats(values: number[], dims?: number[]): string;
}

export const attr = {
  int: (value: number): AttributeValue => ({ kind: 'int', value }),
  float: (value: number): AttributeValue => ({ kind: 'float', value }),
  string: (value: string): AttributeValue => ({ kind: 'string', value }),
  ints: (value: number[]): AttributeValue => ({ kind: 'ints', value }),
  floats: (value: number[]): AttributeValue => ({ kind: 'floats', value }),
};
