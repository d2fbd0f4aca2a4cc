// A training or evaluation file the user names by its path (the UI sends the path; this side
// reads it). Because the server reads whatever path it is given, the path is checked first: an
// absolute path without '..', a .jsonl (or .json) regular file once symlinks are resolved, not
// in Hearth's own data directory, a system folder or a credentials folder, and of a size that
// fits in memory. Then every line is validated as the trainer will read it, and the preview
// shows the first rows and the bad lines with their numbers, before any job starts.
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, sep } from 'node:path';
import { ApiError } from '../common/contracts/api-error.ts';
import type { DatasetPreview, FinetuneMethod } from '../common/contracts/jobs.ts';
import { validatePreferenceJsonl, type PreferenceRow } from '../train/preference-dataset.ts';
import { validateSftJsonl, type SftRow } from '../train/sft-dataset.ts';
import { isInside } from './model-folder-check.ts';

/** Larger files would not fit in one string; training data for a desktop fine-tune is far smaller. */
export const MAX_DATASET_BYTES = 256 * 1024 * 1024;
const DATASET_EXTENSIONS = ['.jsonl', '.json'];
/** System folders whose files are never training data (and may be devices or secrets). */
const SYSTEM_FOLDERS = process.platform === 'win32' ? [] : ['/proc', '/sys', '/dev', '/etc', '/boot', '/run', '/var/run', '/private/etc', '/private/var/run'];
/** Folder names that hold keys and credentials, wherever they are. */
const CREDENTIAL_FOLDERS = ['.ssh', '.gnupg', '.aws', '.kube', '.docker', '.password-store', '.azure', '.gcloud'];

const PREVIEW_ROWS = 5;
const PREVIEW_PROBLEMS = 20;
const PREVIEW_TEXT_LENGTH = 300;

function refused(message: string): ApiError {
  return new ApiError('invalid-input', message);
}

/** The file's real path once every check passes; ApiError 'invalid-input' naming the problem otherwise. */
export async function resolveDatasetFile(path: string, dataDir: string): Promise<string> {
  const trimmed = path.trim();
  if (!isAbsolute(trimmed)) throw refused(`'${trimmed}' is not an absolute path. Give the full path of the .jsonl file.`);
  if (trimmed.split(/[\\/]/).includes('..')) throw refused(`'${trimmed}' contains '..'. Give the file's own path, without '..' segments.`);
  let real: string;
  try {
    real = await realpath(trimmed);
  } catch {
    throw refused(`${trimmed} does not exist. Give the path of a JSONL file (one JSON example per line).`);
  }
  const forbidden =
    SYSTEM_FOLDERS.find((folder) => isInside(folder, real)) ??
    (isInside(dataDir, real) ? dataDir : undefined) ??
    real.split(sep).find((segment) => CREDENTIAL_FOLDERS.includes(segment));
  if (forbidden) throw refused(`${trimmed} is inside ${forbidden}, where Hearth does not read training data. Copy the dataset to a folder of your own.`);
  if (!DATASET_EXTENSIONS.includes(extname(real).toLowerCase())) {
    throw refused(`${trimmed} is not a .jsonl file. Training data is JSON Lines: one example per line, in a file named *.jsonl.`);
  }
  const info = await stat(real);
  if (!info.isFile()) throw refused(`${trimmed} is not a regular file. Give the path of a .jsonl file.`);
  if (info.size > MAX_DATASET_BYTES) {
    throw refused(`${trimmed} is ${Math.round(info.size / 2 ** 20)} MiB; Hearth reads datasets up to ${MAX_DATASET_BYTES / 2 ** 20} MiB. Split it or keep a sample.`);
  }
  return real;
}

/** What a row looks like in the preview: its turns, its instruction and answer, or its prompt and two completions, shortened. */
export function previewText(row: SftRow | PreferenceRow): string {
  let text: string;
  const turns = (messages: readonly { role: string; content: string }[]) => messages.map((m) => `${m.role}: ${m.content}`).join(' · ');
  if (row.kind === 'standard') text = `prompt: ${row.prompt} · chosen: ${row.chosen} · rejected: ${row.rejected}`;
  else if (row.kind === 'conversational') text = `prompt: ${turns(row.prompt)} · chosen: ${turns(row.chosen)} · rejected: ${turns(row.rejected)}`;
  else if (row.kind === 'chat') text = row.messages.map((m) => `${m.role}: ${m.content}`).join(' · ');
  else if (row.kind === 'alpaca') text = `instruction: ${row.instruction}${row.input ? ` · input: ${row.input}` : ''} · output: ${row.output}`;
  else text = row.text;
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > PREVIEW_TEXT_LENGTH ? `${oneLine.slice(0, PREVIEW_TEXT_LENGTH - 1)}…` : oneLine;
}

/** Reads and validates the file; problems are data here (the preview lists them), not errors. */
export async function previewDataset(path: string, dataDir: string, method: FinetuneMethod = 'sft'): Promise<DatasetPreview> {
  const real = await resolveDatasetFile(path, dataDir);
  let text: string;
  try {
    text = await readFile(real, 'utf8');
  } catch (error) {
    throw refused(`Cannot read ${path}: ${(error as Error).message}`);
  }
  if (method === 'dpo') {
    const { rows, problems } = validatePreferenceJsonl(text);
    return {
      path: real,
      rows: rows.length,
      counts: { chat: 0, alpaca: 0, text: 0, preference: rows.length },
      firstRows: rows.slice(0, PREVIEW_ROWS).map(({ line, row }) => ({ line, kind: 'preference' as const, text: previewText(row) })),
      problems: problems.slice(0, PREVIEW_PROBLEMS),
      problemCount: problems.length,
      ok: problems.length === 0 && rows.length > 0,
    };
  }
  const { rows, problems, counts } = validateSftJsonl(text);
  return {
    path: real,
    rows: rows.length,
    counts,
    firstRows: rows.slice(0, PREVIEW_ROWS).map(({ line, row }) => ({ line, kind: row.kind, text: previewText(row) })),
    problems: problems.slice(0, PREVIEW_PROBLEMS),
    problemCount: problems.length,
    ok: problems.length === 0 && rows.length > 0,
  };
}

/** The file's real path when a job can train on it; ApiError naming the bad lines otherwise. */
export async function requireTrainableDataset(path: string, dataDir: string, what: string, method: FinetuneMethod = 'sft'): Promise<string> {
  const preview = await previewDataset(path, dataDir, method);
  if (preview.problemCount > 0) {
    const shown = preview.problems.slice(0, 5).map((p) => `line ${p.line}: ${p.message}`).join('; ');
    const more = preview.problemCount > 5 ? ` (and ${preview.problemCount - 5} more)` : '';
    throw refused(`The ${what} ${path} has ${preview.problemCount} bad line(s); fix or remove them first: ${shown}${more}.`);
  }
  if (preview.rows === 0) throw refused(`The ${what} ${path} holds no examples (one JSON object per line).`);
  return preview.path;
}
