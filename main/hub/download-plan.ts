// Which files of a repository Hearth downloads. A Hugging Face folder needs its config, its
// generation config, its tokenizer files and its safetensors weights (one file, or the shards
// that model.safetensors.index.json names); everything else in a repository (other formats of
// the same weights, ONNX exports, images, the README) is left on the Hub. A repository with only
// GGUF files offers them, one per quantization, for the person to pick one. Weights in pickle
// (.bin, .pt, .pth, .ckpt) or TensorFlow/Flax formats are skipped, and the plan says why.
import type { HubTreeFile } from './hub-client.ts';
import { HubError } from './hub-error.ts';

/** Read beside the weights; each is fetched when the repository has it. */
const SIDE_FILES = new Set([
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'tokenizer.model',
  'vocab.json',
  'merges.txt',
  'chat_template.jinja',
  'chat_template.json',
]);

export const SAFETENSORS_INDEX = 'model.safetensors.index.json';

/** Why a weights file that is not safetensors or GGUF is left on the Hub. */
const SKIP_REASONS: [RegExp, string][] = [
  [/\.(bin|pt|pth|ckpt|pkl)$/i, 'PyTorch pickle weights: loading them can run code, so Hearth reads only .safetensors'],
  [/\.h5$/i, 'TensorFlow/Keras weights: Hearth reads only .safetensors'],
  [/\.msgpack$/i, 'Flax weights: Hearth reads only .safetensors'],
  [/\.onnx(_data)?$/i, 'an ONNX export: Hearth builds its own onnxruntime graph from the .safetensors weights'],
];

export interface PlannedFile {
  path: string;
  size: number;
  /** The sha256 of the content (LFS files); else null and `gitOid` is the check. */
  sha256: string | null;
  /** The git blob sha1 of the content (of the LFS pointer when sha256 is set). */
  gitOid: string;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export type DownloadPlan =
  /** A Hugging Face folder: config, tokenizer and safetensors files, all to download. */
  | { kind: 'safetensors'; files: PlannedFile[]; skipped: SkippedFile[]; totalBytes: number }
  /** One GGUF file chosen (by `file`, or the repository's only one), to download alone. */
  | { kind: 'gguf'; files: [PlannedFile]; skipped: SkippedFile[]; totalBytes: number }
  /** Several GGUF files and none chosen: the caller offers `choices` and asks for one. */
  | { kind: 'gguf-choice'; choices: PlannedFile[]; skipped: SkippedFile[] };

export interface PlanOptions {
  /**
   * Files asked for by name. A single .gguf picks that quantization; otherwise exactly these
   * files are downloaded (each must be in the repository).
   */
  files?: readonly string[];
  /** model.safetensors.index.json's weight_map, where the repository has one (see safetensorsIndexShards). */
  indexShards?: readonly string[];
}

/**
 * The files to download from a repository's tree. Throws a HubError ('nothing-usable') naming
 * what the repository has instead, when it has nothing Hearth can use.
 */
export function planDownload(repo: string, tree: readonly HubTreeFile[], options: PlanOptions = {}): DownloadPlan {
  const byPath = new Map(tree.map((file) => [file.path, file]));
  const root = tree.filter((file) => !file.path.includes('/'));
  const skipped = skippedFiles(root);

  if (options.files && options.files.length > 0) {
    const missing = options.files.filter((path) => !byPath.has(path));
    if (missing.length > 0) {
      throw new HubError('nothing-usable', `${repo} has no file ${missing.map((m) => `'${m}'`).join(', ')}; it has ${describeFiles(tree)}.`);
    }
    const asked = options.files.map((path) => planned(byPath.get(path)!));
    if (asked.length === 1 && isGguf(asked[0].path)) return { kind: 'gguf', files: [asked[0]], skipped, totalBytes: asked[0].size };
    return { kind: 'safetensors', files: asked, skipped, totalBytes: sum(asked) };
  }

  const weights = safetensorsWeights(repo, root, options.indexShards);
  if (weights.length > 0) {
    if (!byPath.has('config.json')) {
      throw new HubError('nothing-usable', `${repo} has .safetensors weights but no config.json at its top level, so it is not a Hugging Face model folder Hearth can read.`);
    }
    const side = root.filter((file) => SIDE_FILES.has(file.path) || file.path === SAFETENSORS_INDEX);
    const files = [...side, ...weights].map(planned);
    return { kind: 'safetensors', files, skipped, totalBytes: sum(files) };
  }

  const ggufs = tree.filter((file) => isGguf(file.path)).map(planned);
  if (ggufs.length === 1) return { kind: 'gguf', files: [ggufs[0]], skipped, totalBytes: ggufs[0].size };
  if (ggufs.length > 1) return { kind: 'gguf-choice', choices: ggufs.sort((a, b) => a.size - b.size), skipped };

  const why = skipped.length > 0 ? ` Skipped: ${skipped.map((s) => `${s.path} (${s.reason})`).join('; ')}.` : '';
  throw new HubError('nothing-usable', `${repo} has no .safetensors weights and no GGUF file, so Hearth cannot use it; it has ${describeFiles(tree)}.${why} Look for a version of this model with .safetensors or .gguf files.`);
}

/** The shard file names in model.safetensors.index.json's weight_map, each once. */
export function safetensorsIndexShards(index: { weight_map: Record<string, string> }): string[] {
  return [...new Set(Object.values(index.weight_map))];
}

/** model.safetensors, or the shards the index names (every one must be in the repository), or else every top-level .safetensors. */
function safetensorsWeights(repo: string, root: readonly HubTreeFile[], indexShards: readonly string[] | undefined): HubTreeFile[] {
  const byPath = new Map(root.map((file) => [file.path, file]));
  if (byPath.has(SAFETENSORS_INDEX) && indexShards) {
    const missing = indexShards.filter((shard) => !byPath.has(shard));
    if (missing.length > 0) throw new HubError('nothing-usable', `${repo}'s ${SAFETENSORS_INDEX} names shards the repository does not have (${missing.join(', ')}); the repository is incomplete.`);
    return indexShards.map((shard) => byPath.get(shard)!);
  }
  const single = byPath.get('model.safetensors');
  if (single) return [single];
  // Some repositories hold the same weights twice (e.g. consolidated.safetensors for another loader): the sharded names win.
  const all = root.filter((file) => file.path.endsWith('.safetensors'));
  const shards = all.filter((file) => /^model-\d+-of-\d+\.safetensors$/.test(file.path));
  return shards.length > 0 ? shards : all;
}

function skippedFiles(root: readonly HubTreeFile[]): SkippedFile[] {
  const skipped: SkippedFile[] = [];
  for (const file of root) {
    const reason = SKIP_REASONS.find(([pattern]) => pattern.test(file.path))?.[1];
    if (reason) skipped.push({ path: file.path, reason });
  }
  return skipped;
}

function isGguf(path: string): boolean {
  return path.toLowerCase().endsWith('.gguf');
}

function planned(file: HubTreeFile): PlannedFile {
  return { path: file.path, size: file.size, sha256: file.sha256, gitOid: file.gitOid };
}

function sum(files: readonly PlannedFile[]): number {
  return files.reduce((total, file) => total + file.size, 0);
}

function describeFiles(tree: readonly HubTreeFile[]): string {
  if (tree.length === 0) return 'no files';
  const names = tree.slice(0, 8).map((file) => file.path);
  return `${names.join(', ')}${tree.length > names.length ? ` and ${tree.length - names.length} more` : ''}`;
}
