// Checks a GGUF file before it joins the library, as model-folder-check.ts checks a Hugging Face
// folder: the path is a real file given without '..' tricks, and the engine can open it as a
// model (header, metadata and tensor table read and checked against what the architecture
// implies, without reading the tensors' data), its tokenizer can be rebuilt from the metadata,
// and it has a chat template. Every failure is an ApiError 'model-invalid' whose message names
// the file and the problem (the engine's GgufError messages start with the path); nothing is
// written. It also says what the dropdown shows for the file: its own quantization, by
// llama.cpp's name, and the bytes its weights take as stored.
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { ApiError } from '../common/contracts/api-error.ts';
import type { ModelSpec } from '../common/model-spec.ts';
import { GGML_TYPES } from '../engine/gguf/ggml-type.ts';
import { readGgufHeader, type GgufHeader } from '../engine/gguf/gguf-file.ts';
import { openGgufModelSource } from '../engine/gguf/gguf-model-source.ts';
import { tokenizerFromGgufMetadata } from '../engine/gguf/gguf-tokenizer.ts';

export interface CheckedGgufFile {
  /** The file's real path (symlinks resolved). */
  file: string;
  spec: ModelSpec;
  /** The file's size. */
  sizeBytes: number;
  /** The file's own quantization as llama.cpp names it: "Q4_K_M", "Q8_0", "F32". */
  fileType: string;
  /** Bytes the tensors take as stored in the file. */
  weightBytes: number;
}

/**
 * llama.cpp's names for `general.file_type` (enum llama_ftype in llama.h; the "MOSTLY_" prefix
 * dropped, as llama-quantize and the Hub's file names drop it). The type says which mix the
 * quantizer chose: Q4_K_M keeps some tensors in Q6_K, which the tensor types alone do not name.
 */
const LLAMA_FILE_TYPES: Readonly<Record<number, string>> = {
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
};

function invalid(message: string): ApiError {
  return new ApiError('model-invalid', message);
}

/** The file's quantization: `general.file_type` by llama.cpp's name, else the tensor type that holds most of the bytes. */
export function ggufFileType(header: GgufHeader): string {
  const fileType = header.metadata.get('general.file_type');
  if (typeof fileType === 'number' && LLAMA_FILE_TYPES[fileType]) return LLAMA_FILE_TYPES[fileType];
  const bytesByType = new Map<string, number>();
  for (const tensor of header.tensors.values()) {
    const name = GGML_TYPES[tensor.type].name;
    bytesByType.set(name, (bytesByType.get(name) ?? 0) + tensor.byteLength);
  }
  const [mostBytes] = [...bytesByType.entries()].sort((a, b) => b[1] - a[1]);
  return mostBytes ? mostBytes[0] : 'unknown';
}

/** Bytes the tensors take as stored (their ggml blocks), which is what a build that keeps them holds. */
export function ggufWeightBytes(header: GgufHeader): number {
  let bytes = 0;
  for (const tensor of header.tensors.values()) bytes += tensor.byteLength;
  return bytes;
}

/** The file's real path, refusing relative paths, '..' segments and anything that is not a file. */
async function resolveFile(path: string): Promise<{ file: string; sizeBytes: number }> {
  if (!isAbsolute(path)) throw invalid(`'${path}' is not an absolute path. Give the full path of the .gguf file.`);
  if (path.split(/[\\/]/).includes('..')) throw invalid(`'${path}' contains '..'. Give the .gguf file's own path, without '..' segments.`);
  const info = await stat(path).catch(() => null);
  if (!info) throw invalid(`${path} does not exist. Give the path of a .gguf model file.`);
  if (!info.isFile()) throw invalid(`${path} is not a file. Give the path of a .gguf model file.`);
  return { file: await realpath(path), sizeBytes: info.size };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Opens the file as the engine will build it, turning its errors into 'model-invalid' that name the file. */
export async function checkGgufFile(path: string): Promise<CheckedGgufFile> {
  const { file, sizeBytes } = await resolveFile(path);
  let spec: ModelSpec;
  let header: GgufHeader;
  try {
    const source = await openGgufModelSource(file);
    spec = source.spec;
    await source.close();
    header = readGgufHeader(file);
  } catch (error) {
    const message = messageOf(error);
    // The engine's GGUF errors start with the path it was given; any other names it here.
    throw invalid(message.includes(file) ? message : `${file}: ${message}`);
  }
  let chatTemplate: string | null;
  try {
    chatTemplate = tokenizerFromGgufMetadata(header.metadata, file).chatTemplate;
  } catch (error) {
    const message = messageOf(error);
    throw invalid(message.includes(file) ? message : `${file}: ${message}`);
  }
  if (chatTemplate === null) {
    throw invalid(
      `${file} has no chat template (tokenizer.chat_template), so Hearth cannot hold a conversation with this model. ` +
        'Download the chat (instruct) version of the model as GGUF.',
    );
  }
  return { file, spec, sizeBytes, fileType: ggufFileType(header), weightBytes: ggufWeightBytes(header) };
}
