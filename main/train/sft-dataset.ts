// Fine-tuning data in JSONL, one example per line, in any of three shapes:
//   chat     {"messages": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}]}
//   Alpaca   {"instruction": "...", "input": "...", "output": "..."}   (input may be empty or absent)
//   text     {"text": "..."}
// Every line is checked; each bad line is reported with its number and what is wrong, and a file
// with any bad line is refused as a whole (never silently trained on in part). Blank lines are
// allowed and ignored.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { ChatMessage } from '../engine/tokenizer/chat-template.ts';

export type SftRow =
  | { kind: 'chat'; messages: ChatMessage[] }
  | { kind: 'alpaca'; instruction: string; input: string; output: string }
  | { kind: 'text'; text: string };

export interface DatasetLine {
  /** 1-based line number in the file. */
  line: number;
  row: SftRow;
}

export interface DatasetProblem {
  line: number;
  message: string;
}

export interface DatasetValidation {
  rows: DatasetLine[];
  problems: DatasetProblem[];
  /** Rows per shape, for the preview. */
  counts: Record<SftRow['kind'], number>;
}

/** The file has bad lines (all of them listed in `problems`) or no examples. */
export class DatasetError extends Error {
  override name = 'DatasetError';
  constructor(
    message: string,
    readonly problems: readonly DatasetProblem[] = [],
  ) {
    super(message);
  }
}

const ROLES = ['system', 'user', 'assistant'] as const;
const messageSchema = z.object({ role: z.enum(ROLES), content: z.string() });
const chatSchema = z.object({ messages: z.array(messageSchema).min(1) });
const alpacaSchema = z.object({ instruction: z.string().min(1), input: z.string().optional(), output: z.string().min(1) });
const textSchema = z.object({ text: z.string().min(1) });

/** Validates JSONL text line by line. */
export function validateSftJsonl(text: string): DatasetValidation {
  const rows: DatasetLine[] = [];
  const problems: DatasetProblem[] = [];
  const counts = { chat: 0, alpaca: 0, text: 0 };
  text.split(/\r?\n/).forEach((content, index) => {
    const line = index + 1;
    if (content.trim() === '') return;
    const result = parseRow(content);
    if (typeof result === 'string') problems.push({ line, message: result });
    else {
      rows.push({ line, row: result });
      counts[result.kind]++;
    }
  });
  return { rows, problems, counts };
}

function parseRow(content: string): SftRow | string {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (error) {
    return `not valid JSON (${(error as Error).message})`;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return 'expected a JSON object';
  const keys = Object.keys(json);
  const issue = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || '(object)'}: ${i.message}`).join('; ');
  if ('messages' in json) {
    const parsed = chatSchema.safeParse(json);
    if (!parsed.success) return `chat example: ${issue(parsed.error)} (roles must be ${ROLES.join(', ')}; content a string)`;
    if (!parsed.data.messages.some((m) => m.role === 'assistant')) return 'chat example has no assistant message, so there is nothing to learn';
    return { kind: 'chat', messages: parsed.data.messages };
  }
  if ('instruction' in json || 'output' in json) {
    const parsed = alpacaSchema.safeParse(json);
    if (!parsed.success) return `Alpaca example: ${issue(parsed.error)} (needs non-empty "instruction" and "output"; "input" is optional)`;
    return { kind: 'alpaca', instruction: parsed.data.instruction, input: parsed.data.input ?? '', output: parsed.data.output };
  }
  if ('text' in json) {
    const parsed = textSchema.safeParse(json);
    if (!parsed.success) return `text example: ${issue(parsed.error)}`;
    return { kind: 'text', text: parsed.data.text };
  }
  return `unknown example shape with keys ${keys.length ? keys.join(', ') : '(none)'}; expected {"messages": [...]}, {"instruction", "input", "output"} or {"text"}`;
}

/** Shown in errors: the first problems, then how many more. */
const PROBLEMS_SHOWN = 10;

export function formatProblems(file: string, problems: readonly DatasetProblem[]): string {
  const shown = problems.slice(0, PROBLEMS_SHOWN).map((p) => `  ${file}:${p.line}: ${p.message}`);
  if (problems.length > PROBLEMS_SHOWN) shown.push(`  ... and ${problems.length - PROBLEMS_SHOWN} more bad line(s)`);
  return shown.join('\n');
}

/** Reads and validates a JSONL file; throws DatasetError listing every bad line. */
export async function readSftDataset(path: string): Promise<DatasetLine[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new DatasetError(`Cannot read the dataset ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message}.`);
  }
  const { rows, problems } = validateSftJsonl(text);
  if (problems.length > 0) {
    throw new DatasetError(`${path} has ${problems.length} bad line(s); fix or remove them:\n${formatProblems(path, problems)}`, problems);
  }
  if (rows.length === 0) throw new DatasetError(`${path} holds no examples (one JSON object per line).`);
  return rows;
}
