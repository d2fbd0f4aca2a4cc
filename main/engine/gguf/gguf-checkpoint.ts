// A GGUF file seen as a Hugging Face checkpoint: its tensors under the names transformers gives
// them (model.layers.N.self_attn.q_proj.weight for blk.N.attn_q.weight), in [out, in] layout,
// read one at a time and decoded to float32 from their ggml blocks. So the architectures' own
// loaders (fused splits, norm offsets) and the import check work on a GGUF file unchanged.
// What llama.cpp's converter changed on the way in is undone by each family's `restore`
// (gguf-architectures.ts): llama's interleaved rotary rows, Gemma's stored norm offset, GPT-2's
// transposed Conv1D weights, BLOOM's and GPT-NeoX's restacked q/k/v rows.
import type { F32Tensor } from '../../common/model-spec.ts';
import type { Checkpoint, TensorInfo } from '../checkpoint/checkpoint.ts';
import { dequantizeGgml } from './ggml-dequantize.ts';
import { GgufError, type GgufFile, type GgufTensorInfo } from './gguf-file.ts';
import type { GgufArchitecture } from './gguf-architectures.ts';

export interface GgufCheckpointOptions {
  architecture: GgufArchitecture;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** ggml tensors left out (a tied head's duplicate). */
  omit?: readonly string[];
}

export class GgufCheckpoint implements Checkpoint {
  readonly dir: string;
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  private readonly ggml = new Map<string, GgufTensorInfo>();

  constructor(
    private readonly file: GgufFile,
    private readonly options: GgufCheckpointOptions,
  ) {
    this.dir = file.path;
    const tensors = new Map<string, TensorInfo>();
    for (const info of file.tensors.values()) {
      const name = options.omit?.includes(info.name) ? null : options.architecture.huggingFaceName(info.name);
      if (name === null) continue;
      this.ggml.set(name, info);
      // Presented as the float32 tensor it decodes to, in the shape transformers gives it.
      const shape = options.architecture.transposed?.(name) ? [...info.dims] : [...info.dims].reverse();
      tensors.set(name, { name, dtype: 'F32', shape, file: file.path, offset: info.offset, byteLength: info.byteLength });
    }
    this.tensors = tensors;
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** The ggml tensor behind a Hugging Face name (for its type), or undefined. */
  ggmlTensor(name: string): GgufTensorInfo | undefined {
    return this.ggml.get(name);
  }

  async readF32(name: string): Promise<F32Tensor> {
    const info = this.ggml.get(name);
    if (!info) throw new GgufError(this.file.path, `has no tensor for "${name}". The file does not hold a complete model: download it again.`);
    const data = dequantizeGgml(info.type, await this.file.readTensorBytes(info.name), info.values);
    const { architecture, numHeads, numKvHeads, headDim } = this.options;
    return architecture.restore(name, { data, shape: [...info.dims].reverse() }, { file: this.file.path, numHeads, numKvHeads, headDim });
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
