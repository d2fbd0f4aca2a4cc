// One open .safetensors file: its checked header, and reads of single tensors at their offsets
// through a file handle, so a multi-gigabyte shard is never held in memory as a whole.
import { open, type FileHandle } from 'node:fs/promises';
import type { F32Tensor } from '../../common/model-spec.ts';
import type { SafetensorsDtype, TensorInfo } from './checkpoint.ts';
import { CheckpointError } from './checkpoint-error.ts';
import { lazyBf16Tensor, countNonFiniteBf16 } from './bf16-weight.ts';
import { halfBitsToFloat32Checked } from './float16.ts';
import { FLOAT_DTYPES } from './safetensors-dtype.ts';
import { parseHeaderJson, parseHeaderLength } from './safetensors-header.ts';

/** A tensor in its stored element type (little-endian hosts only, like every platform Node ships on). */
export type TypedTensorData = Float64Array | Float32Array | Uint16Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface TypedTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  /** F16 and BF16 come back as their raw Uint16 bits; BOOL as Uint8. */
  data: TypedTensorData;
}

/** Reports non-finite weights; the default prints with console.warn. */
export type WarnFn = (message: string) => void;

/** fs reads are capped below 2 GiB per call, so big tensors are read in pieces. */
const READ_CHUNK_BYTES = 1 << 30;

export class SafetensorsFile {
  private constructor(
    readonly path: string,
    readonly tensors: ReadonlyMap<string, TensorInfo>,
    readonly metadata: Readonly<Record<string, string>>,
    private readonly handle: FileHandle,
  ) {}

  static async open(path: string): Promise<SafetensorsFile> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const problem = code === 'ENOENT' ? 'does not exist' : `cannot be opened (${code ?? (error as Error).message})`;
      throw new CheckpointError(path, `${path} ${problem}. Check the path, or download the model again.`, { cause: error });
    }
    try {
      const { size } = await handle.stat();
      const prefix = new Uint8Array(8);
      if (size >= 8) await readFully(path, handle, prefix, 0);
      const headerLength = parseHeaderLength(path, prefix, size);
      const headerBytes = new Uint8Array(headerLength);
      await readFully(path, handle, headerBytes, 8);
      const header = parseHeaderJson(path, headerBytes, size);
      return new SafetensorsFile(path, header.tensors, header.metadata, handle);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** The tensor's bytes, in a fresh buffer of its own (so typed-array views are aligned). */
  async readBytes(name: string): Promise<Uint8Array<ArrayBuffer>> {
    const info = this.info(name);
    const bytes = new Uint8Array(info.byteLength);
    await readFully(this.path, this.handle, bytes, info.offset);
    return bytes;
  }

  async readTyped(name: string): Promise<TypedTensor> {
    const info = this.info(name);
    const buffer = (await this.readBytes(name)).buffer;
    return { dtype: info.dtype, shape: [...info.shape], data: typedView(info.dtype, buffer) };
  }

  /** Reads a float tensor as float32 and warns (never throws) about NaN or infinite values. */
  async readF32(name: string, warn: WarnFn = console.warn): Promise<F32Tensor> {
    const info = this.info(name);
    requireFloatWeight(info);
    const buffer = (await this.readBytes(name)).buffer;
    // 16-bit floats are checked while they are widened (one pass over the tensor, not two);
    // bfloat16 ones are widened only when read (bf16-weight.ts), and checked here.
    const bf16 = info.dtype === 'BF16' ? new Uint16Array(buffer) : null;
    const { tensor, nonFinite } = bf16
      ? { tensor: lazyBf16Tensor(bf16, [...info.shape]), nonFinite: countNonFiniteBf16(bf16) }
      : checkedTensor(info.dtype === 'F32' ? { data: new Float32Array(buffer), nonFinite: countNonFinite(new Float32Array(buffer)) } : halfBitsToFloat32Checked(new Uint16Array(buffer), 'F16'), info.shape);
    if (nonFinite > 0) {
      warn(`${this.path}: tensor "${name}" has ${nonFinite} NaN or infinite value(s) of ${bf16 ? bf16.length : tensor.data.length}; the model's output may be garbage.`);
    }
    return tensor;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private info(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (!info) {
      throw new CheckpointError(this.path, `${this.path} has no tensor "${name}". The file belongs to another model or is incomplete.`);
    }
    return info;
  }
}

/** A weight must be a float tensor: readF32 converts only F32, F16 and BF16. */
export function requireFloatWeight(info: TensorInfo): void {
  if (!FLOAT_DTYPES.includes(info.dtype)) {
    throw new CheckpointError(
      info.file,
      `${info.file}: tensor "${info.name}" is ${info.dtype}, but a weight must be F32, F16 or BF16. The checkpoint may be quantized in a format Hearth does not read: use an unquantized model.`,
    );
  }
}

async function readFully(path: string, handle: FileHandle, target: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const length = Math.min(READ_CHUNK_BYTES, target.length - done);
    const { bytesRead } = await handle.read(target, done, length, position + done);
    if (bytesRead === 0) {
      throw new CheckpointError(path, `${path} ended at byte ${position + done} while reading; it is truncated or was changed while open. Download or export it again.`);
    }
    done += bytesRead;
  }
}

function typedView(dtype: SafetensorsDtype, buffer: ArrayBuffer): TypedTensorData {
  switch (dtype) {
    case 'F64':
      return new Float64Array(buffer);
    case 'F32':
      return new Float32Array(buffer);
    case 'F16':
    case 'BF16':
      return new Uint16Array(buffer);
    case 'I64':
      return new BigInt64Array(buffer);
    case 'I32':
      return new Int32Array(buffer);
    case 'I16':
      return new Int16Array(buffer);
    case 'I8':
      return new Int8Array(buffer);
    case 'U8':
    case 'BOOL':
      return new Uint8Array(buffer);
  }
}

function countNonFinite(data: Float32Array): number {
  let count = 0;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) count++;
  return count;
}

function checkedTensor({ data, nonFinite }: { data: Float32Array; nonFinite: number }, shape: readonly number[]): { tensor: F32Tensor; nonFinite: number } {
  return { tensor: { data, shape: [...shape] }, nonFinite };
}
