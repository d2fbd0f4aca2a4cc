// A GGUF file seen as a Hugging Face checkpoint: its tensors under the names transformers gives
// them (model.layers.N.self_attn.q_proj.weight for blk.N.attn_q.weight), in [out, in] layout,
// read one at a time and decoded to float32 from their ggml blocks. So the architectures' own
// loaders (fused splits, norm offsets) and the import check work on a GGUF file unchanged.
// What llama.cpp's converter changed on the way in is undone by each family's rowOrder and
// restore (gguf-architectures.ts): llama's interleaved rotary rows, BLOOM's and GPT-NeoX's
// restacked q/k/v rows, Gemma's stored norm offset, GPT-2's transposed Conv1D weights. Each
// tensor carries its ggml blocks (attachGgmlBlocks), reordered with its rows, so that a build can
// keep a quantized weight as the file stores it.
import type { F32Tensor } from '../../common/model-spec.ts';
import type { Checkpoint, TensorInfo } from '../checkpoint/checkpoint.ts';
import { attachGgmlBlocks, reorderGgmlRows } from './ggml-block-weight.ts';
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

  /** Whether the family's restore transposes this tensor (a new tensor, so its blocks are not kept). */
  transposed(name: string): boolean {
    return this.options.architecture.transposed?.(name) ?? false;
  }

  /** The ggml tensor behind a Hugging Face name (for its type), or undefined. */
  ggmlTensor(name: string): GgufTensorInfo | undefined {
    return this.ggml.get(name);
  }

  async readF32(name: string): Promise<F32Tensor> {
    const info = this.ggml.get(name);
    if (!info) throw new GgufError(this.file.path, `has no tensor for "${name}". The file does not hold a complete model: download it again.`);
    const { architecture, numHeads, numKvHeads, headDim } = this.options;
    const context = { file: this.file.path, numHeads, numKvHeads, headDim };
    const shape = [...info.dims].reverse();
    // A 1-D tensor (a bias) reorders its values; a matrix its rows of ne[0] values.
    const cols = info.dims.length > 1 ? info.dims[0]! : 1;
    let bytes = await this.file.readTensorBytes(info.name);
    let data = dequantizeGgml(info.type, bytes, info.values);
    const order = architecture.rowOrder?.(name, info.values / cols, context) ?? null;
    if (order) {
      data = reorderRows(data, cols, order);
      bytes = reorderGgmlRows(info.type, bytes, cols, order);
    }
    // The blocks ride along so a build can keep them (BuildContext.keepGgmlBlocks); restore drops them when it makes a new tensor.
    return architecture.restore(name, attachGgmlBlocks({ data, shape }, info.type, bytes), context);
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

/** Row r of the result is row order[r] of `data` ([rows, cols]). */
function reorderRows(data: Float32Array, cols: number, order: readonly number[]): Float32Array {
  const out = new Float32Array(data.length);
  order.forEach((row, r) => out.set(data.subarray(row * cols, (row + 1) * cols), r * cols));
  return out;
}
