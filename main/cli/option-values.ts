// Reading option values given as text: numbers within bounds, lists of token ids, precisions.
// Each mistake is a UsageError naming the option, so the command prints its usage and exits 2.
import { PrecisionSchema, type Precision } from '../common/model-manifest.ts';
import { UsageError } from './command.ts';

export interface NumberBounds {
  min?: number;
  max?: number;
}

/** A finite number, e.g. --temperature 0.7. */
export function parseNumberOption(option: string, text: string, bounds: NumberBounds = {}): number {
  const value = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(value)) throw new UsageError(`${option} needs a number, not '${text}'`);
  checkBounds(option, value, bounds);
  return value;
}

/** A whole number, e.g. --max-new-tokens 64. */
export function parseIntegerOption(option: string, text: string, bounds: NumberBounds = {}): number {
  if (!/^[+-]?\d+$/.test(text.trim())) throw new UsageError(`${option} needs a whole number, not '${text}'`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new UsageError(`${option} is too large: ${text}`);
  checkBounds(option, value, bounds);
  return value;
}

function checkBounds(option: string, value: number, { min, max }: NumberBounds): void {
  if (min !== undefined && value < min) throw new UsageError(`${option} must be at least ${min}, not ${value}`);
  if (max !== undefined && value > max) throw new UsageError(`${option} must be at most ${max}, not ${value}`);
}

/** Token ids written as "5,17,42" (spaces allowed). */
export function parseIdList(option: string, text: string): number[] {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.length === 0 || parts.every((part) => part === '')) throw new UsageError(`${option} needs comma-separated token ids, e.g. 5,17,42`);
  return parts.map((part, i) => {
    if (!/^\d+$/.test(part) || !Number.isSafeInteger(Number(part))) {
      throw new UsageError(`${option}: item ${i + 1} ('${part}') is not a token id; give non-negative whole numbers separated by commas, e.g. 5,17,42`);
    }
    return Number(part);
  });
}

/** Ids must index the model's vocabulary; known only once the model is open. */
export function checkIdsInVocabulary(option: string, ids: readonly number[], vocabSize: number): void {
  const bad = ids.findIndex((id) => id >= vocabSize);
  if (bad >= 0) throw new UsageError(`${option}: token id ${ids[bad]} (item ${bad + 1}) is outside the model's vocabulary of ${vocabSize} tokens`);
}

/** --dtype for a Hugging Face folder; undefined when not given. */
export function parsePrecisionOption(text: string | undefined): Precision | undefined {
  if (text === undefined) return undefined;
  const parsed = PrecisionSchema.safeParse(text);
  if (!parsed.success) throw new UsageError(`--dtype must be one of ${PrecisionSchema.options.join(', ')}, not '${text}'`);
  return parsed.data;
}
