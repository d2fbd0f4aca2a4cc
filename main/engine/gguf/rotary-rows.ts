// llama.cpp's converter reorders the rows of a llama-family attn_q/attn_k (and their biases) for
// ggml's rotary, which rotates adjacent pairs (x0, x1), (x2, x3), …, where transformers rotates
// each head's first half against its second half. Per head of d rows it stores row 2i + j from
// the original row j·d/2 + i (j = 0, 1). Putting the rows back lets the engine's own rotary,
// which matches transformers', run the file's weights.

/** Row r of the Hugging Face tensor is stored row order[r]; null when the rows do not split into heads of an even size. */
export function rotaryRowOrder(rows: number, heads: number): number[] | null {
  const headRows = rows / heads;
  if (!Number.isInteger(headRows) || headRows % 2 !== 0) return null;
  const half = headRows / 2;
  const order = new Array<number>(rows);
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < half; i++) order[h * headRows + j * half + i] = h * headRows + 2 * i + j;
    }
  }
  return order;
}
