// The conversation settings form: what the user typed in each field (so a half-typed "0." is
// not fought over), and the parameters it makes once saved, or the problem to show. Ranges come
// from the contract (main/common/contracts/chat.ts), so the form refuses what the API would.
import { MAX_SEED, MAX_STOP_STRING_LENGTH, MAX_STOP_STRINGS, type ChatParams } from '../../../main/common/contracts/chat.ts';

export type NumberKey = 'temperature' | 'topP' | 'topK' | 'minP' | 'repetitionPenalty' | 'maxTokens' | 'contextLength';

export interface NumberField {
  key: NumberKey;
  /** The field's accessible name. */
  label: string;
  /** What the setting does, shown under it. */
  help: string;
  min: number;
  max: number;
  step: number;
  integer: boolean;
}

/** In the order the form shows them. */
export const NUMBER_FIELDS: readonly NumberField[] = [
  { key: 'temperature', label: 'Temperature', help: 'Higher is more varied; 0 always picks the likeliest token.', min: 0, max: 5, step: 0.05, integer: false },
  { key: 'topP', label: 'Top-p', help: 'Sample from the likeliest tokens that make up this much probability; 1 is off.', min: 0.01, max: 1, step: 0.01, integer: false },
  { key: 'topK', label: 'Top-k', help: 'Sample among this many likeliest tokens; 0 is off, 1 is greedy.', min: 0, max: 1000, step: 1, integer: true },
  { key: 'minP', label: 'Min-p', help: 'Leave out tokens less likely than this fraction of the likeliest; 0 is off.', min: 0, max: 1, step: 0.01, integer: false },
  {
    key: 'repetitionPenalty',
    label: 'Repetition penalty',
    help: 'Above 1 makes tokens already in the chat less likely; 1 is off.',
    min: 0.5,
    max: 2,
    step: 0.05,
    integer: false,
  },
  { key: 'maxTokens', label: 'Max tokens', help: 'The longest reply, in tokens.', min: 1, max: 32768, step: 1, integer: true },
  { key: 'contextLength', label: 'Context length', help: 'Tokens the model sees: prompt and reply together.', min: 64, max: 1_048_576, step: 64, integer: true },
];

export const SEED_HELP = 'The same seed, chat and settings give the same reply; empty: a new random seed each reply.';
export const STOP_HELP = 'One per line; the reply ends where one appears and leaves it out. Write \\n for a line break, \\t for a tab, \\\\ for a backslash.';

/** The typed text of every field. */
export interface SettingsForm {
  numbers: Record<NumberKey, string>;
  seed: string;
  stop: string;
}

export function settingsFormOf(params: ChatParams): SettingsForm {
  const numbers = Object.fromEntries(NUMBER_FIELDS.map((f) => [f.key, String(params[f.key])])) as Record<NumberKey, string>;
  return { numbers, seed: params.seed === null ? '' : String(params.seed), stop: params.stop.map(escapeStopString).join('\n') };
}

export type SettingsFormResult = { ok: true; params: ChatParams } | { ok: false; problem: string };

/** The parameters the form makes over `current` (what the form does not show stays), or the first problem. */
export function paramsFromSettingsForm(form: SettingsForm, current: ChatParams): SettingsFormResult {
  const params: ChatParams = { ...current };
  for (const field of NUMBER_FIELDS) {
    const text = form.numbers[field.key].trim();
    const value = Number(text);
    if (text === '' || !Number.isFinite(value) || value < field.min || value > field.max || (field.integer && !Number.isInteger(value))) {
      return { ok: false, problem: `${field.label} must be ${field.integer ? 'a whole number' : 'a number'} from ${field.min} to ${field.max}.` };
    }
    params[field.key] = value;
  }

  const seedText = form.seed.trim();
  if (seedText === '') params.seed = null;
  else if (!/^\d+$/.test(seedText) || Number(seedText) > MAX_SEED) {
    return { ok: false, problem: `Seed must be a whole number from 0 to ${MAX_SEED}, or empty for a random seed each reply.` };
  } else params.seed = Number(seedText);

  // Lines are not trimmed: a stop string may start or end with a space.
  const stop = form.stop.split('\n').filter((line) => line !== '').map(unescapeStopString);
  if (stop.length > MAX_STOP_STRINGS) return { ok: false, problem: `At most ${MAX_STOP_STRINGS} stop strings; there are ${stop.length}.` };
  const long = stop.find((s) => s.length > MAX_STOP_STRING_LENGTH);
  if (long !== undefined) return { ok: false, problem: `A stop string is at most ${MAX_STOP_STRING_LENGTH} characters; "${long.slice(0, 20)}…" has ${long.length}.` };
  params.stop = stop;
  return { ok: true, params };
}

/** A stop string as one line of the field: line breaks, tabs and backslashes written as escapes. */
export function escapeStopString(stop: string): string {
  return stop.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

/** The inverse of escapeStopString; a backslash before any other character stays as typed. */
export function unescapeStopString(line: string): string {
  return line.replace(/\\([\\nt])/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : '\\'));
}
