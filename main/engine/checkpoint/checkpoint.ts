// What the rest of the engine sees of a Hugging Face checkpoint folder: tensor metadata and
// streamed, per-tensor reads. Implemented by safetensors-checkpoint.ts.
import type { F32Tensor } from '../../common/model-spec.ts';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute path of the .safetensors file holding it. */
  file: string;
  /** Byte offset of the tensor's data from the start of the file. */
  offset: number;
  byteLength: number;
}

export interface Checkpoint {
  readonly dir: string;
  /** Every tensor across all shards, by name. */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  has(name: string): boolean;
  /** Reads one tensor and converts F32/F16/BF16 to float32. Throws CheckpointError if absent. */
  readF32(name: string): Promise<F32Tensor>;
  close(): Promise<void>;
}
