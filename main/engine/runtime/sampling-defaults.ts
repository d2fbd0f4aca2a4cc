// The sampling settings a model's authors ship in generation_config.json (Qwen3: temperature
// 0.6, top_k 20, top_p 0.95; Llama 3.1: temperature 0.6, top_p 0.9), which apply where a request
// gives none, as they do in transformers' generate(). Only the fields the file lists are
// returned; `do_sample: false` means greedy decoding (temperature 0).
import { join } from 'node:path';
import { z } from 'zod';
import { GENERATION_CONFIG_FILE } from '../architectures/model-source.ts';
import { readJsonFile } from '../architectures/json-file.ts';
import type { GenerationOptions } from './generate.ts';

export type SamplingDefaults = Pick<GenerationOptions, 'temperature' | 'topP' | 'topK' | 'minP' | 'repetitionPenalty'>;

/** Fields outside the valid ranges are ignored rather than refused: a model must still load. */
const SamplingFieldsSchema = z.object({
  do_sample: z.boolean().nullish().catch(undefined),
  temperature: z.number().min(0).nullish().catch(undefined),
  top_p: z.number().gt(0).max(1).nullish().catch(undefined),
  top_k: z.number().int().min(0).nullish().catch(undefined),
  min_p: z.number().min(0).max(1).nullish().catch(undefined),
  repetition_penalty: z.number().gt(0).nullish().catch(undefined),
});

/** The defaults from a model folder's generation_config.json; {} when it has none or it says nothing about sampling. */
export async function readSamplingDefaults(modelDir: string): Promise<SamplingDefaults> {
  const json = await readJsonFile(join(modelDir, GENERATION_CONFIG_FILE), { optional: true }).catch(() => null);
  const parsed = SamplingFieldsSchema.safeParse(json ?? {});
  return parsed.success ? samplingDefaultsOf(parsed.data) : {};
}

export function samplingDefaultsOf(fields: z.infer<typeof SamplingFieldsSchema>): SamplingDefaults {
  const defaults: SamplingDefaults = {};
  if (fields.do_sample === false) defaults.temperature = 0;
  else if (fields.temperature != null) defaults.temperature = fields.temperature;
  if (fields.top_p != null) defaults.topP = fields.top_p;
  if (fields.top_k != null) defaults.topK = fields.top_k;
  if (fields.min_p != null) defaults.minP = fields.min_p;
  if (fields.repetition_penalty != null) defaults.repetitionPenalty = fields.repetition_penalty;
  return defaults;
}
