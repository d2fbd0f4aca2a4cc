// What every piece of the graph builder shares: the graph being written, the model spec, the
// precision, and access to the source weights.
import type { AttentionMode, Int8Kernel, Precision } from '../../common/model-manifest.ts';
import type { F32Tensor, ModelSpec, WeightName } from '../../common/model-spec.ts';
import { float32ToFloat16Bits } from '../checkpoint/float16.ts';
import { DataType, type Graph } from '../onnx/graph.ts';

/**
 * Adds to a linear layer's output y = x W^T + b, e.g. a LoRA path (x A^T) B^T · scale when a
 * training graph is built. `name` is the layer's graph name (`/model/layers.3/attn/q_proj`).
 */
export type LinearExtension = (x: string, name: string, y: string, weightShape: readonly number[]) => string;

export class BuildContext {
  /** Element type of activations, the KV cache and float weights. */
  readonly floatType: DataType;
  /** Called by emitLinear for every linear layer when set; inference builds leave it null. */
  linearExtension: LinearExtension | null = null;
  /**
   * Linear layers whose weight came from ggml blocks (a GGUF file, gguf/ggml-block-weight.ts) keep
   * those blocks as MatMulNBits instead of being quantized again. Only for float32 graphs (the
   * block scales are float32); off unless the build asks for the file's own precision.
   */
  keepGgmlBlocks = false;

  constructor(
    readonly g: Graph,
    readonly spec: ModelSpec,
    readonly precision: Precision,
    readonly attention: AttentionMode,
    /** int8 matmuls: 'blockwise' (MatMulNBits) or 'dynamic' (DynamicQuantizeMatMul, integer GEMM). */
    readonly int8Kernel: Int8Kernel,
    private readonly loadWeight: (name: WeightName) => Promise<F32Tensor | null>,
  ) {
    this.floatType = precision === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT;
  }

  weight(name: WeightName): Promise<F32Tensor | null> {
    return this.loadWeight(name);
  }

  async requireWeight(name: WeightName): Promise<F32Tensor> {
    const tensor = await this.loadWeight(name);
    if (!tensor) throw new Error(`The checkpoint has no weight for ${name}, which a ${this.spec.architecture} model needs.`);
    return tensor;
  }

  /** Stores float values as an initializer in the graph's float type. */
  floatInitializer(name: string, dims: number[], data: Float32Array): string {
    if (this.floatType === DataType.FLOAT16) return this.g.initializer(name, DataType.FLOAT16, dims, float32ToFloat16Bits(data));
    return this.g.initializer(name, DataType.FLOAT, dims, data);
  }

  /** A float constant in the graph's float type. */
  floatConstant(values: number[], dims?: number[]): string {
    const f32 = this.g.floats(values, dims);
    return this.floatType === DataType.FLOAT ? f32 : this.g.op('Cast', [f32], { to: { kind: 'int', value: this.floatType } });
  }
}
