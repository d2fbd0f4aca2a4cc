// BLOOM and GPT-NeoX keep their fused query_key_value rows interleaved per head
// ([head][q, k, v][head_dim]); llama.cpp's converter restacks them as [q; k; v] (all heads of q,
// then of k, then of v). Interleaving them again gives the Hugging Face tensor, which the
// architectures' own loaders split.

/** Row r of the per-head Hugging Face tensor is stored row order[r] of the [q; k; v] one. */
export function interleavedQkvRowOrder(numHeads: number, headDim: number): number[] {
  const order = new Array<number>(3 * numHeads * headDim);
  for (let h = 0; h < numHeads; h++) {
    for (let part = 0; part < 3; part++) {
      for (let d = 0; d < headDim; d++) order[(h * 3 + part) * headDim + d] = (part * numHeads + h) * headDim + d;
    }
  }
  return order;
}
