// The int8 prompt graph of an int4 CPU build, derived in memory when the model loads: nothing
// extra on disk. Each 4-bit MatMulNBits of the built graph becomes a DynamicQuantizeMatMul over
// an int8 copy of its weight (per output channel, scale = max|w| / 127), made here from the
// int4 bytes, scales and zero points the build stored. Prompts then reach MLAS's integer GEMM
// (AMX/VNNI), several times faster than MatMulNBits at M > 1 (shared/design/performance.md),
// while decode keeps the int4 graph, which reads half the bytes per token.
//
// Why here and not as onnxruntime constant folding (DequantizeLinear(UINT4) -> ... -> Cast to
// int8, folded at session creation with `session.disable_quant_qdq` = 1): measured on the
// 0.5B shape, the folding kept every float32 intermediate until the end of the pass, a 7.1 GB
// peak RSS and 12 s of CPU, against about one byte per weight and a fraction of that time here.
//
// Off by default (OpenModelOptions.int8PromptGraph; bench --int8-prompt). Measured at the
// Qwen2.5-0.5B shape (2-core Intel Xeon, 2 threads, loaded machine): prompts 2-3.5x faster (512 tokens),
// but 108 matrices, 284 MB of int8, cost +4.5 s of CPU at load, about +660 MB resident after
// load and +1.0 GB peak (with MALLOC_MMAP_THRESHOLD_=131072; +1.2 GB resident without it).
// The memory planner does not count it.
//
// The int8 weights travel inside the derived graph's bytes (onnxruntime's in-memory external
// data needs every external file in memory, the build's data file included); the rest of the
// graph keeps reading the build's data file. A protobuf message stops at 2 GiB, so matrices past
// MAX_INLINE_INT8_BYTES stay int4 (about 2.7B parameters of linears).
import { openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { float16BitsToFloat32 } from '../checkpoint/float16.ts';
import { DataType } from '../onnx/graph.ts';

const { onnx } = onnxProto;
const MICROSOFT = 'com.microsoft';
/** Room left under protobuf's 2 GiB for the rest of the graph. */
export const MAX_INLINE_INT8_BYTES = 1.8 * 2 ** 30;

export interface DerivedPromptGraph {
  /** The encoded ModelProto, int8 weights inline; its other initializers still point at the build's data file. */
  bytes: Uint8Array;
  /** How many MatMulNBits were converted, and the bytes their int8 weights take in memory. */
  converted: number;
  int8WeightBytes: number;
}

export interface DeriveOptions {
  /** Leave matrices with this many output features as they are: the head, whose prompt cost is one row. */
  skipOutputFeatures?: number;
}

function intAttribute(node: onnxProto.onnx.INodeProto, name: string): number | null {
  const found = node.attribute?.find((a) => a.name === name);
  return found ? Number(found.i ?? 0) : null;
}

/** Reads an initializer's bytes, inline or from the external data file beside the graph. */
class InitializerReader {
  private readonly fds = new Map<string, number>();
  constructor(private readonly dir: string) {}

  read(tensor: onnxProto.onnx.ITensorProto): Uint8Array {
    if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) {
      if (!tensor.rawData) throw new Error(`initializer ${tensor.name} has no raw data`);
      return tensor.rawData;
    }
    const entry = new Map((tensor.externalData ?? []).map((e) => [e.key, e.value ?? '']));
    const location = entry.get('location') ?? '';
    const offset = Number(entry.get('offset') ?? 0);
    const length = Number(entry.get('length') ?? 0);
    let fd = this.fds.get(location);
    if (fd === undefined) {
      fd = openSync(join(this.dir, location), 'r');
      this.fds.set(location, fd);
    }
    const bytes = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, bytes, done, length - done, offset + done);
      if (n === 0) throw new Error(`${location} ends before initializer ${tensor.name} (offset ${offset}, length ${length})`);
      done += n;
    }
    return bytes;
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
  }
}

function asFloat32(tensor: onnxProto.onnx.ITensorProto, bytes: Uint8Array): Float32Array {
  // A copy that starts its own buffer (protobufjs hands out Node Buffers, whose slice() is a view).
  const copy = new Uint8Array(bytes);
  if (tensor.dataType === DataType.FLOAT) return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  if (tensor.dataType === DataType.FLOAT16) return float16BitsToFloat32(new Uint16Array(copy.buffer, 0, copy.byteLength / 2));
  throw new Error(`scales ${tensor.name}: data type ${tensor.dataType} is not float or float16`);
}

/**
 * int8 [K, N] (transposed, as DynamicQuantizeMatMul reads B) and per-column scales [N] from
 * MatMulNBits' 4-bit rows: packed [N, kBlocks, blockSize / 2] (low nibble first), scales
 * [N, kBlocks], zero points [N, kBlocks / 2] packed the same way, or 8 when absent.
 */
export function int4RowsToInt8Columns(
  packed: Uint8Array,
  scales: Float32Array,
  zeroPoints: Uint8Array | null,
  N: number,
  K: number,
  blockSize: number,
): { weight: Int8Array; scale: Float32Array } {
  const kBlocks = K / blockSize;
  const blob = blockSize / 2;
  const weight = new Int8Array(K * N);
  const scale = new Float32Array(N);
  const zeroPointBytesPerRow = Math.ceil(kBlocks / 2);
  const zeroPointOf = (n: number, b: number): number => (zeroPoints ? (zeroPoints[n * zeroPointBytesPerRow + (b >> 1)] >> ((b & 1) * 4)) & 15 : 8);
  // Each block holds at most 16 distinct values, so each is rounded once, into a table, and
  // the weights are looked up; rows go in groups so that the transposed writes stay contiguous.
  for (let n = 0; n < N; n++) {
    let max = 0;
    for (let b = 0; b < kBlocks; b++) {
      const base = (n * kBlocks + b) * blob;
      let low = 15;
      let high = 0;
      for (let i = 0; i < blob; i++) {
        const byte = packed[base + i];
        const lo = byte & 15;
        const hi = byte >> 4;
        if (lo < low) low = lo;
        if (hi < low) low = hi;
        if (lo > high) high = lo;
        if (hi > high) high = hi;
      }
      const z = zeroPointOf(n, b);
      const a = Math.abs(scales[n * kBlocks + b]) * Math.max(Math.abs(low - z), Math.abs(high - z));
      if (a > max) max = a;
    }
    scale[n] = max > 0 ? max / 127 : 1;
  }
  const GROUP = 16;
  const table = new Int8Array(GROUP * 16);
  for (let n0 = 0; n0 < N; n0 += GROUP) {
    const rows = Math.min(GROUP, N - n0);
    for (let b = 0; b < kBlocks; b++) {
      for (let r = 0; r < rows; r++) {
        const n = n0 + r;
        const s = scales[n * kBlocks + b] / scale[n];
        const z = zeroPointOf(n, b);
        for (let q = 0; q < 16; q++) table[r * 16 + q] = Math.max(-127, Math.min(127, Math.round((q - z) * s)));
      }
      for (let i = 0; i < blob; i++) {
        const out = (b * blockSize + 2 * i) * N + n0;
        for (let r = 0; r < rows; r++) {
          const byte = packed[((n0 + r) * kBlocks + b) * blob + i];
          weight[out + r] = table[r * 16 + (byte & 15)];
          weight[out + N + r] = table[r * 16 + (byte >> 4)];
        }
      }
    }
  }
  return { weight, scale };
}

/**
 * Rewrites the 4-bit MatMulNBits of a built model.onnx (`graphBytes`, its data files in `dir`)
 * into the int8 prompt form. Nodes whose bytes are not a plain [N, K] matrix (K not a multiple
 * of the block, g_idx) stay MatMulNBits. Returns null when none converts.
 */
export function deriveInt8PromptGraph(graphBytes: Uint8Array, dir: string, options: DeriveOptions = {}): DerivedPromptGraph | null {
  const model = onnx.ModelProto.decode(graphBytes);
  const graph = model.graph;
  if (!graph?.node || !graph.initializer) return null;
  const initializers = new Map(graph.initializer.map((t) => [t.name ?? '', t]));
  // Scales stored as float16 reach MatMulNBits through a Cast that onnxruntime folds.
  const castSources = new Map<string, string>();
  for (const node of graph.node) if (node.opType === 'Cast' && node.input?.[0] && initializers.has(node.input[0])) castSources.set(node.output?.[0] ?? '', node.input[0]);
  const initializerOf = (name: string | undefined): onnxProto.onnx.ITensorProto | undefined =>
    name ? (initializers.get(name) ?? initializers.get(castSources.get(name) ?? '')) : undefined;

  const reader = new InitializerReader(dir);
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const added: onnxProto.onnx.ITensorProto[] = [];
  let converted = 0;
  let int8WeightBytes = 0;
  try {
    for (const node of graph.node) {
      const inputs = node.input ?? [];
      const K = intAttribute(node, 'K') ?? 0;
      const N = intAttribute(node, 'N') ?? 0;
      const blockSize = intAttribute(node, 'block_size') ?? 0;
      const packed = initializerOf(inputs[1]);
      const scales = initializerOf(inputs[2]);
      const zeroPoints = inputs[3] ? initializerOf(inputs[3]) : null;
      const convertible =
        node.opType === 'MatMulNBits' && node.domain === MICROSOFT && intAttribute(node, 'bits') === 4 && blockSize > 0 && K % blockSize === 0 &&
        N !== options.skipOutputFeatures && int8WeightBytes + K * N <= MAX_INLINE_INT8_BYTES && packed !== undefined && scales !== undefined && zeroPoints !== undefined && (inputs[4] ?? '') === '';
      if (!convertible) {
        nodes.push(node);
        continue;
      }
      const { weight, scale } = int4RowsToInt8Columns(
        reader.read(packed),
        asFloat32(scales, reader.read(scales)),
        zeroPoints ? reader.read(zeroPoints) : null,
        N,
        K,
        blockSize,
      );
      const base = node.name ?? `MatMulNBits_${converted}`;
      const bytes = new Uint8Array(weight.buffer);
      const weightName = `${base}/int8_prompt_weight`;
      const scaleName = `${base}/int8_prompt_scale`;
      added.push({
        name: weightName,
        dataType: DataType.INT8,
        dims: [K, N],
        rawData: bytes,
      });
      added.push({ name: scaleName, dataType: DataType.FLOAT, dims: [N], rawData: new Uint8Array(scale.buffer) });
      const bias = inputs[5] ?? '';
      nodes.push({
        opType: 'DynamicQuantizeMatMul',
        domain: MICROSOFT,
        name: `${base}/int8_prompt`,
        input: bias ? [inputs[0], weightName, scaleName, '', bias] : [inputs[0], weightName, scaleName],
        output: node.output,
      });
      int8WeightBytes += bytes.byteLength;
      converted++;
    }
  } finally {
    reader.close();
  }
  if (converted === 0) return null;
  graph.node = nodes;
  graph.initializer = [...graph.initializer, ...added];
  return { bytes: onnx.ModelProto.encode(model).finish(), converted, int8WeightBytes };
}
