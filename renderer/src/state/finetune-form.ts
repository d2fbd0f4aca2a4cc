// The "Fine-tune" form's parameters: one text field per setting (what the user typed, so a
// half-typed number is not thrown away), their labels, and the config they make, checked
// against the contract's schema so the form says what is wrong before anything is sent.
import { z } from 'zod';
import { DEFAULT_FINETUNE_CONFIG, FINETUNE_METHODS, FinetuneConfigSchema, LR_SCHEDULE_NAMES, type FinetuneConfig, type FinetuneMethod } from '../../../main/common/contracts/jobs.ts';

export type ConfigKey = Exclude<keyof FinetuneConfig, 'schedule' | 'method'>;

export interface ParameterField {
  key: ConfigKey;
  /** The field's accessible name. */
  label: string;
  /** A number field, or free text (target modules). */
  kind: 'number' | 'text';
  hint?: string;
  /** Shown and sent only for this method (otherwise the setting keeps its default). */
  onlyFor?: FinetuneMethod;
}

/** In the order the form shows them. */
export const PARAMETER_FIELDS: readonly ParameterField[] = [
  { key: 'r', label: 'Rank', kind: 'number', hint: 'LoRA rank r' },
  { key: 'alpha', label: 'Alpha', kind: 'number', hint: 'scaling alpha / r' },
  { key: 'dropout', label: 'Dropout', kind: 'number' },
  { key: 'beta', label: 'Beta', kind: 'number', hint: 'DPO: how close the model stays to the base (TRL default 0.1)', onlyFor: 'dpo' },
  { key: 'targets', label: 'Target modules', kind: 'text', hint: 'all-linear, or e.g. q_proj,v_proj' },
  { key: 'learningRate', label: 'Learning rate', kind: 'number' },
  { key: 'batchSize', label: 'Batch size', kind: 'number' },
  { key: 'gradAccum', label: 'Gradient accumulation', kind: 'number' },
  { key: 'steps', label: 'Steps', kind: 'number', hint: 'empty: train for the epochs below' },
  { key: 'epochs', label: 'Epochs', kind: 'number', hint: 'used when Steps is empty' },
  { key: 'warmupSteps', label: 'Warmup steps', kind: 'number' },
  { key: 'weightDecay', label: 'Weight decay', kind: 'number' },
  { key: 'maxLength', label: 'Max length', kind: 'number', hint: 'tokens per example' },
  { key: 'evalEvery', label: 'Evaluate every', kind: 'number', hint: 'steps; 0: at the end only' },
  { key: 'checkpointEvery', label: 'Checkpoint every', kind: 'number', hint: 'steps; 0: only when cancelled' },
  { key: 'seed', label: 'Seed', kind: 'number' },
];

export const SCHEDULES = LR_SCHEDULE_NAMES;
export const METHODS = FINETUNE_METHODS;

export type ParameterValues = Record<ConfigKey, string> & { schedule: FinetuneConfig['schedule']; method: FinetuneMethod };

/** The fields the form shows for a method. */
export function fieldsFor(method: FinetuneMethod): ParameterField[] {
  return PARAMETER_FIELDS.filter((field) => !field.onlyFor || field.onlyFor === method);
}

export function formValues(config: FinetuneConfig = DEFAULT_FINETUNE_CONFIG): ParameterValues {
  const values = { schedule: config.schedule, method: config.method } as ParameterValues;
  for (const { key } of PARAMETER_FIELDS) values[key] = config[key] === null ? '' : String(config[key]);
  return values;
}

/** The config the fields make, or the first problem in words with the field's label. */
export function configFromValues(values: ParameterValues): { config: FinetuneConfig } | { error: string } {
  const raw: Record<string, unknown> = { schedule: values.schedule, method: values.method };
  for (const field of fieldsFor(values.method)) {
    const text = values[field.key].trim();
    if (field.kind === 'text') raw[field.key] = text;
    else if (text === '' && field.key === 'steps') raw.steps = null;
    else if (text === '' || !Number.isFinite(Number(text))) return { error: `${field.label}: enter a number.` };
    else raw[field.key] = Number(text);
  }
  const parsed = FinetuneConfigSchema.safeParse(raw);
  if (parsed.success) return { config: parsed.data };
  const issue = parsed.error.issues[0];
  const label = PARAMETER_FIELDS.find((f) => f.key === issue.path[0])?.label ?? String(issue.path[0] ?? 'Parameters');
  return { error: `${label}: ${issue.code === 'invalid_type' ? 'enter a whole number' : z.prettifyError(new z.ZodError([issue])).replace(/^✖ /, '').split('\n')[0]}` };
}
