// BLOOM and GPT-NeoX keep their fused query_key_value rows interleaved per head
// ([head][q, k, v][head_dim]); llama.cpp's converter restacks them as [q; k; v] (all heads of q,
// then of k, then of v). Interleaving them again gives the Hugging Face tensor, which the
// architectures' own loaders split.
import type { F32Tensor } from '../../common/model-spec.ts';
import { GgufError } from './gguf-file.ts';

/** [q; k; v] rows (or bias values) → [head][q, k, v][head_dim]. */
export function interleaveQkvHeads(tensor: F32Tensor, numHeads: number, headDim: number, file: string, name: string): F32Tensor {
  const rows = tensor.shape[0]!;
  const cols = tensor.shape.length > 1 ? tensor.shape[1]! : 1;
  if (rows !== 3 * numHeads * headDim) {
    throw new GgufError(file, `tensor for "${name}" has ${rows} rows, not 3 × ${numHeads} heads × ${headDim}. The file does not match its metadata.`);
  }
  const out = new Float32Array(tensor.data.length);
  for (let part = 0; part < 3; part++) {
    for (let h = 0; h < numHeads; h++) {
      const from = (part * numHeads + h) * headDim * cols;
      const to = (h * 3 + part) * headDim * cols;
      out.set(tensor.data.subarray(from, from + headDim * cols), to);
    }
  }
  return { data: out, shape: [...tensor.shape] };
}
