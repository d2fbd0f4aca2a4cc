// The generation options `hearth run` and `hearth chat` share: how many tokens, how to sample
// them, and when to stop. Defaults differ per command (run is greedy, chat samples), so each
// command passes its own.
import type { GenerationOptions } from '../engine/runtime/generate.ts';
import { parseIntegerOption, parseNumberOption } from './option-values.ts';

/** parseArgs definitions; every value is read as text and checked below. */
export const SAMPLING_OPTIONS = {
  'max-new-tokens': { type: 'string' },
  temperature: { type: 'string' },
  'top-p': { type: 'string' },
  'top-k': { type: 'string' },
  'min-p': { type: 'string' },
  'repetition-penalty': { type: 'string' },
  seed: { type: 'string' },
  stop: { type: 'string', multiple: true },
  'ignore-eos': { type: 'boolean' },
} as const;

export const SAMPLING_USAGE =
  '[--max-new-tokens N] [--temperature T] [--top-p P] [--top-k K] [--min-p P] [--repetition-penalty R] [--seed S] [--stop STR]... [--ignore-eos]';

export interface SamplingValues {
  'max-new-tokens'?: string;
  temperature?: string;
  'top-p'?: string;
  'top-k'?: string;
  'min-p'?: string;
  'repetition-penalty'?: string;
  seed?: string;
  stop?: string[];
  'ignore-eos'?: boolean;
}

export interface SamplingDefaults {
  maxNewTokens: number;
  temperature: number;
}

export function samplingFromValues(values: SamplingValues, defaults: SamplingDefaults): GenerationOptions & { maxNewTokens: number; temperature: number } {
  const optional = <T>(text: string | undefined, read: (text: string) => T): T | undefined => (text === undefined ? undefined : read(text));
  return {
    maxNewTokens: optional(values['max-new-tokens'], (t) => parseIntegerOption('--max-new-tokens', t, { min: 1 })) ?? defaults.maxNewTokens,
    temperature: optional(values.temperature, (t) => parseNumberOption('--temperature', t, { min: 0 })) ?? defaults.temperature,
    topP: optional(values['top-p'], (t) => parseNumberOption('--top-p', t, { min: 0, max: 1 })),
    topK: optional(values['top-k'], (t) => parseIntegerOption('--top-k', t, { min: 0 })),
    minP: optional(values['min-p'], (t) => parseNumberOption('--min-p', t, { min: 0, max: 1 })),
    repetitionPenalty: optional(values['repetition-penalty'], (t) => parseNumberOption('--repetition-penalty', t, { min: Number.MIN_VALUE })),
    seed: optional(values.seed, (t) => parseIntegerOption('--seed', t, { min: 0, max: 2 ** 32 - 1 })),
    stop: values.stop,
    ignoreEos: values['ignore-eos'] ?? false,
  };
}
