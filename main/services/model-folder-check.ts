// Checks a Hugging Face folder before it joins the library: the path is a real folder given
// without '..' tricks, nothing in it links outside it (a symlink to ~/.ssh/id_rsa named
// tokenizer.json would otherwise be read, and its path recorded), the safetensors index names
// only files inside it, and the engine can read its config, weights and tokenizer: the weights'
// headers must hold every tensor config.json implies with the shape it implies (the engine checks
// that when it opens the folder), and the tokenizer's ids must fit the embedding. A folder holding
// only GGUF files is refused with the file to give instead (GGUF files themselves are checked by
// gguf-file-check.ts). Every failure is an ApiError 'model-invalid' that
// names the file and says what to do; nothing is written.
import { open, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { ApiError } from '../common/contracts/api-error.ts';
import type { ModelSpec } from '../common/model-spec.ts';
import { CONFIG_FILE, openModelSource } from '../engine/architectures/model-source.ts';
import { loadTokenizer, TOKENIZER_FILE } from '../engine/tokenizer/load-tokenizer.ts';

export const SAFETENSORS_INDEX_FILE = 'model.safetensors.index.json';

export interface CheckedModelFolder {
  /** The folder's real path (symlinks to the folder itself resolved). */
  dir: string;
  spec: ModelSpec;
  /** Bytes of the files in the folder. */
  sizeBytes: number;
}

function invalid(message: string): ApiError {
  return new ApiError('model-invalid', message);
}

/** True when `path` is `root` or inside it (both real paths). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The folder's real path, refusing relative paths, '..' segments and anything that is not a folder. */
async function resolveFolder(path: string): Promise<string> {
  if (!isAbsolute(path)) throw invalid(`'${path}' is not an absolute path. Give the full path of the model folder.`);
  if (path.split(/[\\/]/).includes('..')) {
    throw invalid(`'${path}' contains '..'. Give the model folder's own path, without '..' segments.`);
  }
  let info;
  try {
    info = await stat(path);
  } catch {
    throw invalid(`${path} does not exist. Give the folder that holds config.json, the .safetensors files and tokenizer.json.`);
  }
  if (!info.isDirectory()) {
    if (await isGguf(path)) {
      throw invalid(`${path} is a file, a GGUF model, where a Hugging Face folder was expected. Import the .gguf file itself as a model.`);
    }
    throw invalid(`${path} is a file. Give the folder that holds it (with config.json, the .safetensors files and tokenizer.json).`);
  }
  return realpath(path);
}

const GGUF_MAGIC = 'GGUF';

/** Named .gguf, or starting with GGUF's magic bytes (a damaged or renamed one is still recognised by one of the two). */
async function isGguf(path: string): Promise<boolean> {
  if (path.toLowerCase().endsWith('.gguf')) return true;
  const handle = await open(path, 'r').catch(() => null);
  if (!handle) return false;
  try {
    const magic = Buffer.alloc(GGUF_MAGIC.length);
    const { bytesRead } = await handle.read(magic, 0, magic.length, 0);
    return bytesRead === magic.length && magic.toString('latin1') === GGUF_MAGIC;
  } finally {
    await handle.close();
  }
}

/** A folder holding GGUF files but no config.json is a GGUF download, not a Hugging Face folder. */
async function refuseGgufFolder(dir: string): Promise<void> {
  const entries = await readdir(dir);
  const gguf = entries.find((name) => name.toLowerCase().endsWith('.gguf'));
  if (gguf && !entries.includes(CONFIG_FILE)) {
    throw invalid(
      `${join(dir, gguf)} is a GGUF model, and ${dir} has no ${CONFIG_FILE}, so it is not a Hugging Face folder. ` +
        `Import the file ${join(dir, gguf)} itself instead of its folder.`,
    );
  }
}

/** Refuses every entry that is a symlink leading outside the folder, or a broken one; returns the bytes of the files. */
async function checkEntries(dir: string): Promise<number> {
  let sizeBytes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) {
      let target: string;
      try {
        target = await realpath(path);
      } catch {
        throw invalid(`${path} is a symbolic link to a file that does not exist. Replace it with the file itself.`);
      }
      if (!isInside(dir, target)) {
        throw invalid(
          `${path} is a symbolic link to ${target}, outside the model folder. Hearth reads only files inside the folder it imports: ` +
            'copy the file into the folder instead of linking it (for a Hugging Face cache, download with --local-dir).',
        );
      }
    }
    const info = await stat(path).catch(() => null);
    if (info?.isFile()) sizeBytes += info.size;
  }
  return sizeBytes;
}

/** A sharded checkpoint's index must name plain files inside the folder. */
async function checkSafetensorsIndex(dir: string): Promise<void> {
  const path = join(dir, SAFETENSORS_INDEX_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return; // no index: a single model.safetensors, checked by the engine
  }
  let index: unknown;
  try {
    index = JSON.parse(text);
  } catch (error) {
    throw invalid(`${path} is not valid JSON (${(error as Error).message}). Download the model again.`);
  }
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null) throw invalid(`${path} has no weight_map object. Download the model again.`);
  for (const file of new Set(Object.values(weightMap))) {
    if (typeof file !== 'string' || file === '' || file.includes('/') || file.includes('\\') || file === '..' || file === '.') {
      throw invalid(`${path} names the weight file '${String(file)}', which is not a file in the model folder. Hearth refuses paths that leave the folder.`);
    }
  }
}

/** Reads config, weights' headers and tokenizer through the engine, turning its errors into 'model-invalid'. */
async function checkWithEngine(dir: string): Promise<ModelSpec> {
  let spec: ModelSpec;
  try {
    const source = await openModelSource(dir, { warn: () => {} });
    spec = source.spec;
    await source.close();
  } catch (error) {
    throw invalid(error instanceof Error ? error.message : String(error));
  }
  let tokenizer;
  try {
    tokenizer = await loadTokenizer(dir);
  } catch (error) {
    throw invalid(error instanceof Error ? error.message : String(error));
  }
  if (tokenizer.vocabSize > spec.vocabSize) {
    throw invalid(
      `${join(dir, TOKENIZER_FILE)} has token ids up to ${tokenizer.vocabSize - 1}, but the model's embedding (vocab_size in ${CONFIG_FILE}) has only ` +
        `${spec.vocabSize} rows, so those tokens would have no embedding. The tokenizer belongs to another model: download the model folder again.`,
    );
  }
  // A model without a chat template (a base model) is imported too: /v1/completions continues its
  // text; the app's chat says it cannot chat with it (worker/conversation-cache.ts).
  return spec;
}

export async function checkModelFolder(path: string): Promise<CheckedModelFolder> {
  const dir = await resolveFolder(path);
  const sizeBytes = await checkEntries(dir);
  await refuseGgufFolder(dir);
  await checkSafetensorsIndex(dir);
  const spec = await checkWithEngine(dir);
  return { dir, spec, sizeBytes };
}
