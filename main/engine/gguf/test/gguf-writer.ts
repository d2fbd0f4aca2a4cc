// Test support only: writes GGUF files byte by byte as gguf.cpp lays them out (magic, version,
// counts, typed metadata, tensor infos, padding to the alignment, tensor data each padded to it),
// so the reader's tests can make well-formed files of any shape and damage them precisely.
// Also the llama converter's row permutation (convert_hf_to_gguf.py's `permute`), written here
// from the formula so the model source's un-permutation is checked against the forward direction.
import { writeFile } from 'node:fs/promises';
import type { F32Tensor } from '../../../common/model-spec.ts';
import { GgufValueType } from '../gguf-file.ts';

export interface GgufMetadataEntry {
  type: number;
  value: unknown;
  /** For ARRAY: the type of its elements. */
  elementType?: number;
}

export const meta = {
  u8: (value: number): GgufMetadataEntry => ({ type: GgufValueType.UINT8, value }),
  i8: (value: number): GgufMetadataEntry => ({ type: GgufValueType.INT8, value }),
  u16: (value: number): GgufMetadataEntry => ({ type: GgufValueType.UINT16, value }),
  i16: (value: number): GgufMetadataEntry => ({ type: GgufValueType.INT16, value }),
  u32: (value: number): GgufMetadataEntry => ({ type: GgufValueType.UINT32, value }),
  i32: (value: number): GgufMetadataEntry => ({ type: GgufValueType.INT32, value }),
  f32: (value: number): GgufMetadataEntry => ({ type: GgufValueType.FLOAT32, value }),
  bool: (value: boolean): GgufMetadataEntry => ({ type: GgufValueType.BOOL, value }),
  str: (value: string): GgufMetadataEntry => ({ type: GgufValueType.STRING, value }),
  u64: (value: bigint): GgufMetadataEntry => ({ type: GgufValueType.UINT64, value }),
  i64: (value: bigint): GgufMetadataEntry => ({ type: GgufValueType.INT64, value }),
  f64: (value: number): GgufMetadataEntry => ({ type: GgufValueType.FLOAT64, value }),
  array: (elementType: number, value: unknown[]): GgufMetadataEntry => ({ type: GgufValueType.ARRAY, elementType, value }),
};

export interface GgufTensorToWrite {
  name: string;
  /** ne, row length first. */
  dims: number[];
  /** ggml type number. */
  type: number;
  data: Uint8Array;
}

export interface GgufToWrite {
  version?: number;
  /** Written as general.alignment when given; the data is padded to it either way (default 32). */
  alignment?: number;
  metadata: Record<string, GgufMetadataEntry>;
  tensors: GgufTensorToWrite[];
}

class ByteSink {
  private readonly parts: Buffer[] = [];
  length = 0;

  push(buffer: Buffer | Uint8Array): void {
    const b = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    this.parts.push(b);
    this.length += b.length;
  }

  u32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    this.push(b);
  }

  u64(value: number | bigint): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(value));
    this.push(b);
  }

  string(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.u64(bytes.length);
    this.push(bytes);
  }

  padTo(alignment: number): void {
    const pad = (alignment - (this.length % alignment)) % alignment;
    if (pad) this.push(Buffer.alloc(pad));
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function writeValue(sink: ByteSink, type: number, value: unknown, elementType?: number): void {
  const b = Buffer.alloc(8);
  switch (type) {
    case GgufValueType.UINT8: b.writeUInt8(value as number); return sink.push(b.subarray(0, 1));
    case GgufValueType.INT8: b.writeInt8(value as number); return sink.push(b.subarray(0, 1));
    case GgufValueType.UINT16: b.writeUInt16LE(value as number); return sink.push(b.subarray(0, 2));
    case GgufValueType.INT16: b.writeInt16LE(value as number); return sink.push(b.subarray(0, 2));
    case GgufValueType.UINT32: b.writeUInt32LE(value as number); return sink.push(b.subarray(0, 4));
    case GgufValueType.INT32: b.writeInt32LE(value as number); return sink.push(b.subarray(0, 4));
    case GgufValueType.FLOAT32: b.writeFloatLE(value as number); return sink.push(b.subarray(0, 4));
    case GgufValueType.BOOL: b.writeUInt8(value ? 1 : 0); return sink.push(b.subarray(0, 1));
    case GgufValueType.UINT64: b.writeBigUInt64LE(value as bigint); return sink.push(b);
    case GgufValueType.INT64: b.writeBigInt64LE(value as bigint); return sink.push(b);
    case GgufValueType.FLOAT64: b.writeDoubleLE(value as number); return sink.push(b);
    case GgufValueType.STRING: return sink.string(value as string);
    case GgufValueType.ARRAY: {
      const values = value as unknown[];
      sink.u32(elementType!);
      sink.u64(values.length);
      for (const v of values) writeValue(sink, elementType!, v);
      return;
    }
    default:
      throw new Error(`test writer: unknown metadata type ${type}`);
  }
}

/** The bytes of a GGUF file. */
export function ggufFileBytes(file: GgufToWrite): Buffer {
  const alignment = file.alignment ?? 32;
  const metadata = { ...file.metadata };
  if (file.alignment !== undefined) metadata['general.alignment'] = meta.u32(file.alignment);
  const sink = new ByteSink();
  sink.push(Buffer.from('GGUF', 'latin1'));
  sink.u32(file.version ?? 3);
  sink.u64(file.tensors.length);
  sink.u64(Object.keys(metadata).length);
  for (const [key, entry] of Object.entries(metadata)) {
    sink.string(key);
    sink.u32(entry.type);
    writeValue(sink, entry.type, entry.value, entry.elementType);
  }
  let offset = 0;
  for (const tensor of file.tensors) {
    sink.string(tensor.name);
    sink.u32(tensor.dims.length);
    for (const d of tensor.dims) sink.u64(d);
    sink.u32(tensor.type);
    sink.u64(offset);
    offset += Math.ceil(tensor.data.length / alignment) * alignment;
  }
  sink.padTo(alignment);
  for (const tensor of file.tensors) {
    sink.push(tensor.data);
    sink.padTo(alignment);
  }
  return sink.bytes();
}

export async function writeGgufFile(path: string, file: GgufToWrite): Promise<void> {
  await writeFile(path, ggufFileBytes(file));
}

/** An F32 tensor to write: a Hugging Face [out, in] tensor becomes ggml's ne = [in, out]. */
export function f32Tensor(name: string, tensor: F32Tensor): GgufTensorToWrite {
  const data = new Uint8Array(tensor.data.buffer.slice(tensor.data.byteOffset, tensor.data.byteOffset + tensor.data.byteLength));
  return { name, dims: [...tensor.shape].reverse(), type: 0, data };
}

/**
 * The llama converter's permute: viewing the rows of each head as [2, d/2], it swaps those two
 * axes, so that row j·d/2 + i of a head is stored at row 2i + j.
 */
export function permuteRotaryRows(tensor: F32Tensor, heads: number): F32Tensor {
  const rows = tensor.shape[0]!;
  const cols = tensor.shape.length > 1 ? tensor.shape[1]! : 1;
  const d = rows / heads;
  const out = new Float32Array(tensor.data.length);
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < d / 2; i++) {
        const from = (h * d + j * (d / 2) + i) * cols;
        const to = (h * d + 2 * i + j) * cols;
        out.set(tensor.data.subarray(from, from + cols), to);
      }
    }
  }
  return { data: out, shape: [...tensor.shape] };
}
