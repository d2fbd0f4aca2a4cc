// Which bits each weight of a quantized build gets, and how its blocks and scales are stored: the
// recipe that keeps Hearth's int4 at llama.cpp Q4_K_M's size and quality. Chosen by the KL
// divergence of the demo model's next-token distributions from fp32's over its 32 evaluation
// windows of 256 tokens (mean NLL moves by ±0.001 between choices that KLD ranks the other way;
// llama.cpp's Q4_K_M file of the same weights, built as downloaded: KLD 0.0068).
//
// - int4 matrices are 4-bit in blocks of 32 with a zero point per block (asymmetric): against
//   symmetric blocks, KLD 0.0068 rather than 0.0074 (gate, up and down gained most), for half a
//   byte per 64 weights.
// - 8 bits where Q4_K_M keeps 6 (MatMulNBits has no 6; for the CPU they are per-channel int8 for
//   the integer GEMM instead, see usesDynamicInt8): down_proj in half the layers, chosen by
//   llama.cpp's use_more_bits rule (llama-quant.cpp: the first eighth of the layers, the last
//   eighth, and every third one between), and an untied output head. v_proj too: by that rule in
//   a model whose attention has as many key/value heads as query heads, and in every layer of a
//   grouped-query one, where v is a small matrix (1/7 of q on Qwen2.5-0.5B) whose 4-bit error
//   costs the most per byte: KLD 0.0087 → 0.0068 on the demo, +0.7 MB on the 0.5B shape.
// - o_proj 8-bit in every layer, beyond Q4_K_M (which keeps attn_output at 4 bits): of the 4-bit
//   matrices made 8-bit on the demo (CPU build, KLD by this file's measure, NLL by `hearth ppl`),
//   o_proj gained the most per byte: none 0.00677 (NLL 3.333241); o 0.00549 (3.332918, +172 KB);
//   k 0.00660 (3.333438, +86 KB); q 0.00657 (3.334122, +172 KB); gate or up in the use_more_bits
//   layers 0.00643 / 0.00647 (3.332999 / 3.333344, +158 KB). +8.2 MB on the 0.5B shape (387.4 MB
//   for the CPU, under Q4_K_M's 395 MB file).
// - Block scales are stored as float16 and cast to float32 by a node onnxruntime folds when the
//   session loads, as the GGUF path does (gguf/ggml-scales.ts): MatMulNBits still reads constant
//   float32 scales, and a block of 32 costs 2 bytes of scale instead of 4. The quantizer's scales
//   are rounded to float16 after the fact, a relative change under 2^-11 (KLD unchanged).
// - A tied embedding/head table is stored once, 8-bit in blocks of 64 (quantized-token-table.ts):
//   blocks of 64 rather than 32 save 4.3 MB on the 0.5B shape at the same KLD (128: slightly worse).
import type { Int8Kernel } from '../../common/model-manifest.ts';
import type { ModelSpec } from '../../common/model-spec.ts';
import { float16BitsToFloat32, float32ToFloat16Bits } from '../checkpoint/float16.ts';

/** llama.cpp's use_more_bits: whether layer `layer` of `numLayers` is one Q4_K_M gives more bits to (its v and down matrices). */
export function usesMoreBits(layer: number, numLayers: number): boolean {
  const eighth = Math.floor(numLayers / 8);
  return layer < eighth || layer >= Math.floor((7 * numLayers) / 8) || (layer - eighth) % 3 === 2;
}

/** The builder's name of the output head (an untied one is a matrix of its own). */
export const OUTPUT_HEAD = '/lm_head';
const LAYER_MATRIX = /^\/model\/layers\.(\d+)\/(attn|mlp)\/(\w+)_proj$/;

/**
 * The bits of a MatMulNBits weight in a build at `precision`: 8 in int8 builds; in int4 builds 8
 * for an untied head, o_proj, v_proj (see above) and down_proj of the usesMoreBits layers, else 4. `name`
 * is the layer's node name (`/model/layers.3/mlp/down_proj`).
 */
export function matMulNBitsBits(precision: 'int8' | 'int4', name: string, spec: Pick<ModelSpec, 'numLayers' | 'attention'>): 4 | 8 {
  if (precision === 'int8' || name === OUTPUT_HEAD) return 8;
  const matrix = LAYER_MATRIX.exec(name);
  if (!matrix) return 4;
  const [, layer, , which] = matrix;
  const moreBits = usesMoreBits(Number(layer), spec.numLayers);
  if (which === 'o') return 8;
  if (which === 'v') return moreBits || spec.attention.numKvHeads < spec.attention.numHeads ? 8 : 4;
  return which === 'down' && moreBits ? 8 : 4;
}

/**
 * Whether an 8-bit matrix is stored for the CPU's int8 kernel (per-channel int8 weights,
 * DynamicQuantizeMatMul or MatMulInteger: linear.ts) rather than as 8-bit MatMulNBits blocks: in
 * int8 builds and in int4 ones (its 8-bit matrices other than the token table) whose kernel is
 * 'dynamic', i.e. that run on the CPU; GPU builds ('blockwise') keep MatMulNBits, the only kind
 * WebGPU runs. For an int4 build's 8-bit matrices, onnxruntime holds 8-bit MatMulNBits blocks at
 * about 41 bytes per 32 weights once loaded (memory-plan.ts), per-channel int8 at one byte per
 * weight; on disk one float32 scale per row instead of a float16 one per 32 weights; and the
 * untied-head-sized matrix of the 0.5B shape decoded in 8.7 ms rather than 12.2 ms a token.
 */
export function usesDynamicInt8(bits: 4 | 8, int8Kernel: Int8Kernel): boolean {
  return bits === 8 && int8Kernel === 'dynamic';
}

/** Whether a MatMulNBits weight has its zero point fixed at 2^(bits-1) (none stored): 8-bit ones; 4-bit ones store a zero point per block. */
export function isSymmetric(bits: 4 | 8): boolean {
  return bits === 8;
}

/** Bits of a quantized build's token embedding table; a tied head reads the same table. */
export const TOKEN_TABLE_BITS = 8;

/** The token table's block along the hidden size: 64 where it divides it, else 32, else null (the table stays float). */
export function tokenTableBlockSize(hiddenSize: number): 64 | 32 | null {
  return hiddenSize % 64 === 0 ? 64 : hiddenSize % 32 === 0 ? 32 : null;
}

/** Bytes a block scale takes on disk in a quantized build (float16; see above). */
export const STORED_SCALE_BYTES = 2;

/**
 * Block scales rounded to float16 values, so that they can be stored as float16 exactly. A scale
 * beyond float16's range (weights above about 5·10^5, never seen in a checkpoint) is kept as is,
 * and then the whole array stays float32 (gguf/ggml-scales.ts stores float16 only when exact).
 */
export function roundScalesToFloat16(scales: Float32Array): Float32Array {
  const rounded = float16BitsToFloat32(float32ToFloat16Bits(scales));
  for (let i = 0; i < rounded.length; i++) if (!Number.isFinite(rounded[i])) return scales;
  return rounded;
}
