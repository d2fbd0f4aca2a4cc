// A view of an open checkpoint that answers reads from the safetensors headers alone: readF32
// returns a shape-only tensor (after the same float-dtype check a real read makes), and every
// tensor name asked for is recorded, so a check can say which stored tensor a weight came from.
// Lets the import check run the architectures' own loaders without reading any weight data.
import type { F32Tensor } from '../../common/model-spec.ts';
import type { Checkpoint, TensorInfo } from './checkpoint.ts';
import { CheckpointError } from './checkpoint-error.ts';
import { requireFloatWeight } from './safetensors-file.ts';
import { shapeOnlyTensor } from './shape-only-tensor.ts';

export class HeaderOnlyCheckpoint implements Checkpoint {
  readonly dir: string;
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** The tensors read since the last `takeRead()`, in order. */
  private read: TensorInfo[] = [];

  constructor(checkpoint: Checkpoint) {
    this.dir = checkpoint.dir;
    this.tensors = checkpoint.tensors;
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  async readF32(name: string): Promise<F32Tensor> {
    const info = this.tensors.get(name);
    if (!info) {
      throw new CheckpointError(this.dir, `The checkpoint in ${this.dir} has no tensor "${name}". config.json does not match the weights, or the download is incomplete.`);
    }
    // Recorded before the dtype check, so a caller can tell "there but not a float" from "absent".
    this.read.push(info);
    requireFloatWeight(info);
    return shapeOnlyTensor(info.shape);
  }

  /** The tensors read since the last call, and forgets them. */
  takeRead(): TensorInfo[] {
    const read = this.read;
    this.read = [];
    return read;
  }

  /** Nothing to close: the files belong to the checkpoint this views. */
  async close(): Promise<void> {}
}
