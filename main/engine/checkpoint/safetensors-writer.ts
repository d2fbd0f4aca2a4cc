// Writes a .safetensors file: the CLI stores logits with it, the bundled demo model is kept in
// fp16 with it, and tests build checkpoints with it. Tensors are written one after another
// through a file handle, so no second copy of the whole file is built in memory.
import { open } from 'node:fs/promises';
import type { SafetensorsDtype } from './checkpoint.ts';
import { DTYPE_BYTES } from './safetensors-dtype.ts';
import { float32ToBfloat16Bits, float32ToFloat16Bits } from './float16.ts';
import type { TypedTensorData } from './safetensors-file.ts';

export interface TensorToWrite {
  dtype: SafetensorsDtype;
  shape: readonly number[];
  /**
   * Elements in the stored type (F16/BF16 as Uint16 bits, I64 as BigInt64Array, BOOL as Uint8).
   * A Float32Array is also accepted for F16 and BF16 and converted, rounding to nearest even.
   */
  data: TypedTensorData;
}

/** Data starts on an 8-byte boundary, as the reference writer pads the header to. */
const ALIGNMENT = 8;

export async function writeSafetensors(
  path: string,
  tensors: Readonly<Record<string, TensorToWrite>>,
  metadata?: Readonly<Record<string, string>>,
): Promise<void> {
  // Like the reference writer: widest dtypes first, then by name, so every tensor stays aligned.
  const names = Object.keys(tensors).sort((a, b) => DTYPE_BYTES[tensors[b].dtype] - DTYPE_BYTES[tensors[a].dtype] || (a < b ? -1 : a > b ? 1 : 0));
  const payloads = names.map((name) => storedBytes(name, tensors[name]));
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  names.forEach((name, i) => {
    const end = offset + payloads[i].byteLength;
    header[name] = { dtype: tensors[name].dtype, shape: [...tensors[name].shape], data_offsets: [offset, end] };
    offset = end;
  });
  let headerText = JSON.stringify(header);
  const headerBytes = new TextEncoder().encode(headerText);
  const padding = (ALIGNMENT - ((8 + headerBytes.length) % ALIGNMENT)) % ALIGNMENT;
  headerText += ' '.repeat(padding);
  const paddedHeader = new TextEncoder().encode(headerText);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(paddedHeader.length), true);

  const handle = await open(path, 'w');
  try {
    await handle.write(prefix);
    await handle.write(paddedHeader);
    for (const payload of payloads) await handle.write(payload);
  } finally {
    await handle.close();
  }
}

function storedBytes(name: string, tensor: TensorToWrite): Uint8Array {
  const elements = tensor.shape.reduce((a, b) => a * b, 1);
  if (!tensor.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`writeSafetensors: tensor "${name}" has an invalid shape [${tensor.shape.join(', ')}]`);
  }
  let data = tensor.data;
  if (data instanceof Float32Array && tensor.dtype === 'F16') data = float32ToFloat16Bits(data);
  if (data instanceof Float32Array && tensor.dtype === 'BF16') data = float32ToBfloat16Bits(data);
  if (data.BYTES_PER_ELEMENT !== DTYPE_BYTES[tensor.dtype]) {
    throw new Error(`writeSafetensors: tensor "${name}" is ${tensor.dtype} but its data is a ${data.constructor.name}`);
  }
  if (data.length !== elements) {
    throw new Error(`writeSafetensors: tensor "${name}" has shape [${tensor.shape.join(', ')}] (${elements} elements) but ${data.length} values`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
