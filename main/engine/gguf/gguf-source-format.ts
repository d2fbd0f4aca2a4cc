// What a build from a GGUF file records about the file's own types (hearth.json's sourceFormat):
// the llama.cpp name of general.file_type ("Q4_K_M"), how many tensors each ggml type holds, and
// whether the build kept the weights as the file stores them or quantized them again (--dtype).
// It also picks the Precision an as-downloaded build is listed under, so the rest of the app (the
// memory planner, the library) treats it as the nearest build Hearth makes itself.
import type { GgufSourceFormat, Precision } from '../../common/model-manifest.ts';
import type { GgufHeader } from './gguf-file.ts';
import { GGML_TYPES } from './ggml-type.ts';

/**
 * llama.cpp's llama_ftype (llama.h) by number, named as llama-quantize names them. Numbers 4–6
 * were retired formats; 1024 is a flag ("guessed") that llama.cpp masks off.
 */
const LLAMA_FILE_TYPES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  7: 'Q8_0',
  8: 'Q5_0',
  9: 'Q5_1',
  10: 'Q2_K',
  11: 'Q3_K_S',
  12: 'Q3_K_M',
  13: 'Q3_K_L',
  14: 'Q4_K_S',
  15: 'Q4_K_M',
  16: 'Q5_K_S',
  17: 'Q5_K_M',
  18: 'Q6_K',
  19: 'IQ2_XXS',
  20: 'IQ2_XS',
  21: 'Q2_K_S',
  22: 'IQ3_XS',
  23: 'IQ3_XXS',
  24: 'IQ1_S',
  25: 'IQ4_NL',
  26: 'IQ3_S',
  27: 'IQ3_M',
  28: 'IQ2_S',
  29: 'IQ2_M',
  30: 'IQ4_XS',
  31: 'IQ1_M',
  32: 'BF16',
  36: 'TQ1_0',
  37: 'TQ2_0',
  38: 'MXFP4_MOE',
};
const GUESSED_FLAG = 1024;

/** The llama.cpp name of a general.file_type value, or null when the number is not one llama.cpp defines. */
export function llamaFileTypeName(fileType: number): string | null {
  return LLAMA_FILE_TYPES[fileType & ~GUESSED_FLAG] ?? null;
}

/** How many tensors of each ggml type (by ggml's name) the file holds, in first-met order. */
export function ggufTensorTypeCounts(header: Pick<GgufHeader, 'tensors'>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const info of header.tensors.values()) {
    const name = GGML_TYPES[info.type].name;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

/**
 * The file's type name: general.file_type when the file names one llama.cpp knows, else (older
 * converters leave it out) the type holding most of the weights' values.
 */
export function ggufFileTypeName(header: Pick<GgufHeader, 'metadata' | 'tensors'>): string {
  const declared = header.metadata.get('general.file_type');
  if (typeof declared === 'number' || typeof declared === 'bigint') {
    const name = llamaFileTypeName(Number(declared));
    if (name) return name;
  }
  const values = new Map<string, number>();
  for (const info of header.tensors.values()) {
    if (info.dims.length < 2) continue; // norms and biases are F32 in every file
    const name = GGML_TYPES[info.type].name;
    values.set(name, (values.get(name) ?? 0) + info.values);
  }
  let best = 'F32';
  let most = -1;
  for (const [name, count] of values) if (count > most) [best, most] = [name, count];
  return best;
}

export function ggufSourceFormat(header: Pick<GgufHeader, 'metadata' | 'tensors'>, asDownloaded: boolean): GgufSourceFormat {
  return { kind: 'gguf', fileType: ggufFileTypeName(header), tensorTypes: ggufTensorTypeCounts(header), asDownloaded };
}

/**
 * The Precision an as-downloaded build is listed under: what Hearth's own build of about the same
 * size per weight is. Float files build as float32 graphs ('fp32'); 8-bit, 6-bit and 5-bit
 * formats are stored in 8-bit MatMulNBits slots ('int8'); 4-bit and smaller ones in 4-bit slots ('int4').
 */
export function asDownloadedPrecision(fileType: string): Precision {
  if (fileType === 'F32' || fileType === 'F16' || fileType === 'BF16') return 'fp32';
  if (/^(Q8|Q6|Q5)/.test(fileType)) return 'int8';
  return 'int4';
}
