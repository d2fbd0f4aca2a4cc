// Checks a GGUF file before it joins the library, as model-folder-check.ts checks a Hugging Face
// folder: the path is a real file given without '..' tricks, and the engine can open it as a
// model (header, metadata and tensor table read and checked against what the architecture
// implies, without reading the tensors' data), and its tokenizer can be rebuilt from the metadata
// (a chat template is not required: a base model answers /v1/completions). Every failure is an ApiError 'model-invalid' whose message names
// the file and the problem (the engine's GgufError messages start with the path); nothing is
// written. It also says what the dropdown shows for the file: its own quantization, by
// llama.cpp's name, and the bytes its weights take built as downloaded.
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { ApiError } from '../common/contracts/api-error.ts';
import type { ModelSpec } from '../common/model-spec.ts';
import { readGgufHeader, type GgufHeader } from '../engine/gguf/gguf-file.ts';
import { planGgufAsDownloaded } from '../engine/gguf/gguf-as-downloaded-plan.ts';
import { ggufFileTypeName } from '../engine/gguf/gguf-source-format.ts';
import { tokenizerFromGgufMetadata } from '../engine/gguf/gguf-tokenizer.ts';

export interface CheckedGgufFile {
  /** The file's real path (symlinks resolved). */
  file: string;
  spec: ModelSpec;
  /** The file's size. */
  sizeBytes: number;
  /** The file's own quantization as llama.cpp names it: "Q4_K_M", "Q8_0", "F32". */
  fileType: string;
  /** Bytes the weights of its build as downloaded take (planned from the tensor table: gguf-as-downloaded-plan.ts). */
  weightBytes: number;
}

function invalid(message: string): ApiError {
  return new ApiError('model-invalid', message);
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
  let weightBytes: number;
  try {
    const planned = await planGgufAsDownloaded(file, 1);
    spec = planned.spec;
    weightBytes = planned.weightBytes;
    header = readGgufHeader(file);
  } catch (error) {
    const message = messageOf(error);
    // The engine's GGUF errors start with the path it was given; any other names it here.
    throw invalid(message.includes(file) ? message : `${file}: ${message}`);
  }
  try {
    // A file without tokenizer.chat_template (a base model) is imported too: /v1/completions continues its text.
    tokenizerFromGgufMetadata(header.metadata, file);
  } catch (error) {
    const message = messageOf(error);
    throw invalid(message.includes(file) ? message : `${file}: ${message}`);
  }
  return { file, spec, sizeBytes, fileType: ggufFileTypeName(header), weightBytes };
}
