// PEFT's on-disk adapter format, read and written byte for byte as `save_pretrained` does:
// adapter_config.json (every field PEFT 0.21 writes, keys sorted, two-space indent, no final
// newline) and adapter_model.safetensors (keys `base_model.model.<module>.lora_A.weight`,
// metadata {"format": "pt"}). Adapters trained elsewhere with PEFT load through the same code.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { ModelSpec } from '../common/model-spec.ts';
import { SafetensorsFile } from '../engine/checkpoint/safetensors-file.ts';
import { writeSafetensors, type TensorToWrite } from '../engine/checkpoint/safetensors-writer.ts';
import { loraAName, loraBName, type LoraAdapter, type LoraModuleWeights } from './lora-adapter.ts';
import { ALL_MODULE_NAMES, layerModules, type LayerModule, type LoraModuleName } from './lora-targets.ts';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';
/** PEFT prefixes every module of a causal LM with this. */
const PEFT_PREFIX = 'base_model.model.';
/** The PEFT version whose config fields are written. */
const PEFT_VERSION = '0.21.0';

/** An adapter folder that cannot be used: missing files, an unsupported PEFT feature, mismatched shapes. */
export class AdapterFileError extends Error {
  override name = 'AdapterFileError';
}

const adapterConfigSchema = z.looseObject({
  peft_type: z.literal('LORA'),
  r: z.number().int().positive(),
  lora_alpha: z.number().positive(),
  lora_dropout: z.number().min(0).lt(1).default(0),
  target_modules: z.union([z.array(z.string()), z.string(), z.null()]).optional(),
  use_dora: z.boolean().default(false),
  use_rslora: z.boolean().default(false),
  fan_in_fan_out: z.boolean().default(false),
  bias: z.string().default('none'),
  rank_pattern: z.record(z.string(), z.unknown()).default({}),
  alpha_pattern: z.record(z.string(), z.unknown()).default({}),
  modules_to_save: z.array(z.string()).nullable().optional(),
});

export async function readPeftAdapter(dir: string, spec?: ModelSpec): Promise<LoraAdapter> {
  const configPath = join(dir, ADAPTER_CONFIG_FILE);
  const weightsPath = join(dir, ADAPTER_WEIGHTS_FILE);
  for (const path of [configPath, weightsPath]) {
    if (!existsSync(path)) throw new AdapterFileError(`${dir} is not a PEFT LoRA adapter: ${path} is missing. Give the folder PEFT's save_pretrained wrote.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(await readFile(configPath, 'utf8'));
  } catch (error) {
    throw new AdapterFileError(`${configPath} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = adapterConfigSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`).join('; ');
    throw new AdapterFileError(`${configPath} is not a LoRA adapter config Hearth can use (${problems}).`);
  }
  const config = parsed.data;
  const unsupported = [
    config.use_dora && 'DoRA (use_dora)',
    config.use_rslora && 'rank-stabilized scaling (use_rslora)',
    config.bias !== 'none' && `trained biases (bias: ${config.bias})`,
    Object.keys(config.rank_pattern).length > 0 && 'per-module ranks (rank_pattern)',
    Object.keys(config.alpha_pattern).length > 0 && 'per-module alphas (alpha_pattern)',
    config.modules_to_save && config.modules_to_save.length > 0 && 'fully trained modules (modules_to_save)',
  ].filter(Boolean);
  if (unsupported.length > 0) throw new AdapterFileError(`${configPath} uses ${unsupported.join(', ')}, which Hearth does not support yet.`);

  const file = await SafetensorsFile.open(weightsPath);
  try {
    const byPath = new Map<string, Partial<LoraModuleWeights>>();
    for (const key of file.tensors.keys()) {
      const match = /^base_model\.model\.(\w+(?:\.\w+)*?\.(\d+)\.\w+\.(\w+))\.lora_([AB])\.weight$/.exec(key);
      if (!match) throw new AdapterFileError(`${weightsPath} holds ${key}, which is not a LoRA A/B matrix of a decoder layer's linear module.`);
      const [, path, , module, which] = match;
      if (!(ALL_MODULE_NAMES as readonly string[]).includes(module)) throw new AdapterFileError(`${weightsPath}: ${key} targets ${module}, which Hearth cannot apply.`);
      const tensor = await file.readF32(key);
      const entry = byPath.get(path) ?? { path, module: module as LoraModuleName };
      const [rows, cols] = tensor.shape;
      if (tensor.shape.length !== 2) throw new AdapterFileError(`${weightsPath}: ${key} has shape [${tensor.shape.join(', ')}], not a matrix.`);
      if (which === 'A') {
        if (rows !== config.r) throw new AdapterFileError(`${weightsPath}: ${key} has ${rows} rows but r is ${config.r} in ${ADAPTER_CONFIG_FILE}.`);
        Object.assign(entry, { a: tensor.data, inFeatures: cols });
      } else {
        if (cols !== config.r) throw new AdapterFileError(`${weightsPath}: ${key} has ${cols} columns but r is ${config.r} in ${ADAPTER_CONFIG_FILE}.`);
        Object.assign(entry, { b: tensor.data, outFeatures: rows });
      }
      byPath.set(path, entry);
    }
    const modules: LoraModuleWeights[] = [];
    for (const entry of byPath.values()) {
      if (!entry.a || !entry.b) throw new AdapterFileError(`${weightsPath}: ${entry.path} has only one of lora_A and lora_B.`);
      const complete = entry as LoraModuleWeights;
      const layer = Number(/\.(\d+)\./.exec(complete.path)?.[1]);
      if (spec) {
        const expected = layer < spec.numLayers ? layerModules(spec, layer).find((m) => m.path === complete.path) : undefined;
        if (!expected) {
          throw new AdapterFileError(`${weightsPath}: ${complete.path} is not a linear layer of this ${spec.architecture} model (${spec.numLayers} layers). The adapter was trained for another base model.`);
        }
        if (expected.outFeatures !== complete.outFeatures || expected.inFeatures !== complete.inFeatures) {
          throw new AdapterFileError(
            `${weightsPath}: ${complete.path} is [${complete.outFeatures} x ${complete.inFeatures}] in layer ${layer}, which does not fit this model ` +
              `(${spec.numLayers} layers, ${complete.module} is [${expected.outFeatures} x ${expected.inFeatures}]). The adapter was trained for another base model.`,
          );
        }
        checkFanInFanOut(configPath, config.fan_in_fan_out, expected);
      }
      modules.push(complete);
    }
    if (modules.length === 0) throw new AdapterFileError(`${weightsPath} holds no LoRA matrices.`);
    modules.sort((x, y) => moduleOrder(x, spec) - moduleOrder(y, spec));
    const present = ALL_MODULE_NAMES.filter((name) => modules.some((m) => m.module === name));
    // The config's own order is kept (PEFT writes a Python set's order), so a round trip is byte-exact.
    const listed = Array.isArray(config.target_modules) ? config.target_modules : [];
    const targetModules = listed.length === present.length && present.every((name) => listed.includes(name)) ? (listed as LoraModuleName[]) : present;
    const settings = { r: config.r, alpha: config.lora_alpha, dropout: config.lora_dropout, targetModules };
    return { settings: config.fan_in_fan_out ? { ...settings, fanInFanOut: true } : settings, modules };
  } finally {
    await file.close();
  }
}

/** PEFT sets fan_in_fan_out exactly when the targets are Conv1D layers; a mismatch would merge B·A transposed. */
function checkFanInFanOut(configPath: string, fanInFanOut: boolean, module: LayerModule): void {
  if (fanInFanOut !== module.conv1d) {
    throw new AdapterFileError(
      `${configPath} sets fan_in_fan_out to ${fanInFanOut}, but ${module.path} stores its weight ${module.conv1d ? '[in, out] (Conv1D)' : '[out, in]'}: the adapter was saved for another model. Save it again with PEFT for this one.`,
    );
  }
}

/** Layer, then the module order of the family (PEFT's all-linear order). */
function moduleOrder(module: LoraModuleWeights, spec: ModelSpec | undefined): number {
  const layer = Number(/\.(\d+)\./.exec(module.path)?.[1]);
  const inLayer = spec ? layerModules(spec, layer).findIndex((m) => m.path === module.path) : ALL_MODULE_NAMES.indexOf(module.module);
  return layer * 100 + inLayer;
}

export interface WritePeftAdapterOptions {
  /** Written as base_model_name_or_path (PEFT writes the base model's name or folder). */
  baseModel?: string | null;
}

export async function writePeftAdapter(dir: string, adapter: LoraAdapter, options: WritePeftAdapterOptions = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tensors: Record<string, TensorToWrite> = {};
  const { r } = adapter.settings;
  for (const m of adapter.modules) {
    tensors[PEFT_PREFIX + loraAName(m.path)] = { dtype: 'F32', shape: [r, m.inFeatures], data: m.a };
    tensors[PEFT_PREFIX + loraBName(m.path)] = { dtype: 'F32', shape: [m.outFeatures, r], data: m.b };
  }
  await writeSafetensors(join(dir, ADAPTER_WEIGHTS_FILE), tensors, { format: 'pt' });
  await writeFile(join(dir, ADAPTER_CONFIG_FILE), peftConfigJson(adapter, options.baseModel ?? null));
}

/** adapter_config.json exactly as PEFT 0.21's save_pretrained writes it for a plain LoRA. */
export function peftConfigJson(adapter: LoraAdapter, baseModel: string | null): string {
  const { r, alpha, dropout, targetModules } = adapter.settings;
  const config: Record<string, unknown> = {
    alora_invocation_tokens: null,
    alpha_pattern: {},
    arrow_config: null,
    auto_mapping: null,
    base_model_name_or_path: baseModel,
    bias: 'none',
    corda_config: null,
    ensure_weight_tying: false,
    eva_config: null,
    exclude_modules: null,
    fan_in_fan_out: adapter.settings.fanInFanOut ?? false,
    inference_mode: true,
    init_lora_weights: true,
    kasa_config: null,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: alpha,
    lora_bias: false,
    lora_dropout: new PythonFloat(dropout),
    lora_ga_config: null,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: null,
    monteclora_config: null,
    peft_type: 'LORA',
    peft_version: PEFT_VERSION,
    qalora_group_size: 16,
    r,
    rank_pattern: {},
    revision: null,
    target_modules: [...targetModules],
    target_parameters: null,
    task_type: 'CAUSAL_LM',
    trainable_token_indices: null,
    use_bdlora: null,
    use_dora: false,
    use_qalora: false,
    use_rslora: false,
    velora_config: null,
  };
  return pythonJson(config, '');
}

/** A number Python holds as a float, so json.dumps writes `0.0` where JavaScript writes `0`. */
class PythonFloat {
  constructor(readonly value: number) {}
}

/** json.dumps(value, indent=2, sort_keys=True) for the plain values a config holds. */
function pythonJson(value: unknown, indent: string): string {
  if (value instanceof PythonFloat) return Number.isInteger(value.value) ? `${value.value}.0` : String(value.value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const inner = indent + '  ';
    return `[\n${value.map((item) => inner + pythonJson(item, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    if (keys.length === 0) return '{}';
    const inner = indent + '  ';
    return `{\n${keys.map((key) => `${inner}${JSON.stringify(key)}: ${pythonJson((value as Record<string, unknown>)[key], inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}
