// Preference data for DPO in TRL's formats, one pair per JSONL line:
//   standard        {"prompt": "...", "chosen": "...", "rejected": "..."}
//   conversational  {"prompt": [messages], "chosen": [assistant messages], "rejected": [assistant messages]}
// and the implicit-prompt forms without "prompt" (chosen and rejected hold the whole text or
// conversation; the prompt is their common beginning, split off as TRL's extract_prompt does).
// Every line is checked before a job starts; each bad line is reported with its number and the
// field at fault, and a file with any bad line is refused as a whole.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { ChatMessage } from '../engine/tokenizer/chat-template.ts';
import { DatasetError, formatProblems, type DatasetProblem } from './sft-dataset.ts';

export type PreferenceRow =
  | { kind: 'standard'; prompt: string; chosen: string; rejected: string }
  | { kind: 'conversational'; prompt: ChatMessage[]; chosen: ChatMessage[]; rejected: ChatMessage[] };

export interface PreferenceLine {
  /** 1-based line number in the file. */
  line: number;
  row: PreferenceRow;
}

const ROLES = ['system', 'user', 'assistant'] as const;
const messagesSchema = z.array(z.object({ role: z.enum(ROLES), content: z.string() }));
const FIELDS = ['prompt', 'chosen', 'rejected'] as const;

/** Validates JSONL text line by line: the good pairs and every bad line. */
export function validatePreferenceJsonl(text: string): { rows: PreferenceLine[]; problems: DatasetProblem[] } {
  const rows: PreferenceLine[] = [];
  const problems: DatasetProblem[] = [];
  text.split(/\r?\n/).forEach((content, index) => {
    const line = index + 1;
    if (content.trim() === '') return;
    const result = parsePreferenceRow(content);
    if (typeof result === 'string') problems.push({ line, message: result });
    else rows.push({ line, row: result });
  });
  return { rows, problems };
}

/** One line as a pair, or what is wrong with it (naming the field). */
export function parsePreferenceRow(content: string): PreferenceRow | string {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (error) {
    return `not valid JSON (${(error as Error).message})`;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return 'expected a JSON object with "prompt", "chosen" and "rejected"';
  const record = json as Record<string, unknown>;
  for (const field of ['chosen', 'rejected'] as const) {
    if (!(field in record)) return `"${field}" is missing (a preference pair needs "prompt", "chosen" and "rejected"; keys here: ${Object.keys(record).join(', ') || 'none'})`;
  }
  const present = FIELDS.filter((field) => field in record);
  const conversational = Array.isArray(record.chosen);
  for (const field of present) {
    const value = record[field];
    if (conversational) {
      if (!Array.isArray(value)) return `"${field}" is ${describe(value)}, but "chosen" is a message list: use message lists for all fields, or strings for all`;
      const parsed = messagesSchema.safeParse(value);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return `"${field}.${issue.path.join('.')}": ${issue.message} (each message is {"role": ${ROLES.map((r) => `"${r}"`).join(' | ')}, "content": string})`;
      }
      if (field !== 'prompt' && value.length === 0) return `"${field}" is an empty message list`;
    } else {
      if (typeof value !== 'string') return `"${field}" is ${describe(value)}; expected a string (or message lists for all fields)`;
      if (field !== 'prompt' && value === '') return `"${field}" is empty`;
    }
  }
  const row = (conversational ? { kind: 'conversational', prompt: record.prompt ?? [], chosen: record.chosen, rejected: record.rejected } : { kind: 'standard', prompt: record.prompt ?? '', chosen: record.chosen, rejected: record.rejected }) as PreferenceRow;
  const pair = 'prompt' in record ? row : extractPrompt(row);
  if (JSON.stringify(pair.chosen) === JSON.stringify(pair.rejected)) return '"chosen" and "rejected" are the same, so there is no preference to learn';
  if (pair.kind === 'conversational' && pair.prompt.length === 0) return '"prompt" is missing and "chosen" and "rejected" share no leading turn to take it from';
  return pair;
}

/** TRL's extract_prompt: the longest common beginning of chosen and rejected is the prompt. */
function extractPrompt(row: PreferenceRow): PreferenceRow {
  if (row.kind === 'conversational') {
    let i = 0;
    while (i < Math.min(row.chosen.length, row.rejected.length) && JSON.stringify(row.chosen[i]) === JSON.stringify(row.rejected[i])) i++;
    return { kind: 'conversational', prompt: row.chosen.slice(0, i), chosen: row.chosen.slice(i), rejected: row.rejected.slice(i) };
  }
  let i = 0;
  while (i < Math.min(row.chosen.length, row.rejected.length) && row.chosen[i] === row.rejected[i]) i++;
  // The space before the answers stays with them, as in TRL.
  if (i > 0 && i < Math.min(row.chosen.length, row.rejected.length) && row.chosen[i - 1] === ' ') i--;
  return { kind: 'standard', prompt: row.chosen.slice(0, i), chosen: row.chosen.slice(i), rejected: row.rejected.slice(i) };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

/** Reads and validates a preference JSONL file; throws DatasetError listing every bad line. */
export async function readPreferenceDataset(path: string): Promise<PreferenceLine[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new DatasetError(`Cannot read the preference dataset ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message}.`);
  }
  const { rows, problems } = validatePreferenceJsonl(text);
  if (problems.length > 0) {
    throw new DatasetError(`${path} has ${problems.length} bad line(s) for DPO; fix or remove them:\n${formatProblems(path, problems)}`, problems);
  }
  if (rows.length === 0) throw new DatasetError(`${path} holds no preference pairs (one {"prompt", "chosen", "rejected"} object per line).`);
  return rows;
}
