// llama.cpp's converter reorders the rows of a llama-family attn_q/attn_k (and their biases) for
// ggml's rotary, which rotates adjacent pairs (x0, x1), (x2, x3), …, where transformers rotates
// each head's first half against its second half. Per head of d rows it stores row 2i + j from
// the original row j·d/2 + i (j = 0, 1). Putting the rows back lets the engine's own rotary,
// which matches transformers', run the file's weights.
import { GgufError } from './gguf-file.ts';

/** Undoes the converter's interleave in place: `data` is [rows, cols] (or [rows] for a bias), `heads` heads of rows/heads rows each. */
export function unpermuteRotaryRows(data: Float32Array, shape: readonly number[], heads: number, file: string, name: string): void {
  const rows = shape[0]!;
  const cols = shape.length > 1 ? shape[1]! : 1;
  const headRows = rows / heads;
  if (!Number.isInteger(headRows) || headRows % 2 !== 0) {
    throw new GgufError(file, `tensor for "${name}" has ${rows} rows, which do not split into ${heads} heads of an even number of rows. The file does not match its metadata.`);
  }
  const half = headRows / 2;
  const stored = data.slice();
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const from = (h * headRows + 2 * i + j) * cols;
        const to = (h * headRows + j * half + i) * cols;
        data.set(stored.subarray(from, from + cols), to);
      }
    }
  }
}
