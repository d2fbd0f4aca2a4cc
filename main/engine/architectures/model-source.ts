// Opens a Hugging Face model folder for building: reads config.json (and generation_config.json
// when present), picks the architecture by model_type, folds the config into a ModelSpec, opens
// the checkpoint, checks from its headers that it holds every weight the spec implies with the
// shape the spec implies (so a mismatched config is refused here, not halfway through a build),
// and serves canonical weights checked against those shapes.
import { join } from 'node:path';
import type { F32Tensor, ModelSpec, WeightName } from '../../common/model-spec.ts';
import type { Checkpoint } from '../checkpoint/checkpoint.ts';
import { CheckpointError } from '../checkpoint/checkpoint-error.ts';
import { expectShape } from '../checkpoint/expect-shape.ts';
import { openCheckpoint } from '../checkpoint/safetensors-checkpoint.ts';
import type { WarnFn } from '../checkpoint/safetensors-file.ts';
import type { ArchitectureDefinition } from './architecture.ts';
import { findArchitecture, supportedModelTypes } from './architecture-registry.ts';
import { ConfigError } from './config-error.ts';
import { readJsonFile } from './json-file.ts';
import { generationConfigSchema, type GenerationConfig } from './special-tokens.ts';
import { expectedWeightShape } from './spec-weights.ts';
import { checkWeightsMatchConfig } from './weights-match-config.ts';
import type { z } from 'zod';

export const CONFIG_FILE = 'config.json';
export const GENERATION_CONFIG_FILE = 'generation_config.json';

export interface ModelSource {
  spec: ModelSpec;
  checkpoint: Checkpoint;
  /** config.json as parsed, before validation. */
  config: unknown;
  architecture: ArchitectureDefinition;
  /**
   * A canonical weight in [out, in] float32 layout, or null when the spec says the model has
   * none. Throws CheckpointError when it is missing or its shape disagrees with the spec.
   */
  weight(name: WeightName): Promise<F32Tensor | null>;
  /** Closes the checkpoint's files. */
  close(): Promise<void>;
}

export interface OpenModelSourceOptions {
  /** Receives warnings about NaN or infinite weights (default console.warn). */
  warn?: WarnFn;
}

export async function openModelSource(dir: string, options: OpenModelSourceOptions = {}): Promise<ModelSource> {
  const configPath = join(dir, CONFIG_FILE);
  const config = await readJsonFile(configPath, {
    missingHint: 'A Hugging Face model folder needs its config.json: download the complete model folder.',
  });
  const generationConfig = await readGenerationConfig(join(dir, GENERATION_CONFIG_FILE));
  const architecture = pickArchitecture(configPath, config);
  const spec = specFromConfig(configPath, architecture, config, generationConfig);
  const checkpoint = await openCheckpoint(dir, { warn: options.warn });
  try {
    await checkWeightsMatchConfig({ configPath, config, architecture, spec, checkpoint });
  } catch (error) {
    await checkpoint.close();
    throw error;
  }

  const weight = (name: WeightName): Promise<F32Tensor | null> => canonicalWeight(architecture, spec, checkpoint, name);
  return { spec, checkpoint, config, architecture, weight, close: () => checkpoint.close() };
}

/** ModelSource.weight over any checkpoint (an adapter-merged one too): loaded and checked against the spec's shape. */
export async function canonicalWeight(architecture: ArchitectureDefinition, spec: ModelSpec, checkpoint: Checkpoint, name: WeightName): Promise<F32Tensor | null> {
  const shape = expectedWeightShape(spec, name);
  if (shape === null) return null;
  const tensor = await architecture.loadWeight(name, checkpoint, spec);
  if (tensor === null) {
    throw new CheckpointError(checkpoint.dir, `The checkpoint in ${checkpoint.dir} lacks weight ${name}, which ${CONFIG_FILE} implies. Download the model again.`);
  }
  expectShape(name, tensor, shape, checkpoint.dir);
  return tensor;
}

/**
 * The ModelSpec config.json implies, without any weight: what the memory planner needs to size a
 * model before it is downloaded (the Discover page). `configPath` names the file in errors.
 */
export function specFromConfigJson(configPath: string, config: unknown): ModelSpec {
  return specFromConfig(configPath, pickArchitecture(configPath, config), config, {});
}

async function readGenerationConfig(path: string): Promise<GenerationConfig> {
  const json = await readJsonFile(path, { optional: true });
  if (json === null) return {};
  const parsed = generationConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(`${path} has invalid fields:\n${formatIssues(parsed.error.issues)}\nFix them or delete the file.`, { file: path });
  }
  return parsed.data;
}

function pickArchitecture(configPath: string, config: unknown): ArchitectureDefinition {
  const modelType = (config as { model_type?: unknown } | null)?.model_type;
  const supported = supportedModelTypes().join(', ');
  if (typeof modelType !== 'string') {
    throw new ConfigError(`${configPath} has no "model_type" string, so the architecture is unknown (supported: ${supported}).`, { file: configPath });
  }
  const architecture = findArchitecture(modelType);
  if (!architecture) {
    throw new ConfigError(`${configPath}: model_type "${modelType}" is not supported by Hearth (supported: ${supported}). Pick a model of a supported architecture.`, {
      file: configPath,
    });
  }
  return architecture;
}

function specFromConfig(configPath: string, architecture: ArchitectureDefinition, config: unknown, generationConfig: GenerationConfig): ModelSpec {
  const parsed = architecture.configSchema.safeParse(config);
  if (!parsed.success) {
    throw new ConfigError(
      `${configPath} is not a valid ${architecture.modelType} config:\n${formatIssues(parsed.error.issues)}\nFix these fields or download the model again.`,
      { file: configPath },
    );
  }
  try {
    return architecture.toSpec(parsed.data, generationConfig);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // toSpec does not know the path; its messages start "config.json: " or name the feature.
    const message = error.message.startsWith(`${CONFIG_FILE}: `) ? error.message.slice(CONFIG_FILE.length + 2) : error.message;
    throw new ConfigError(`${configPath}: ${message}`, { file: configPath, cause: error });
  }
}

function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `  - ${issue.path.length ? issue.path.join('.') : '(top level)'}: ${issue.message}`).join('\n');
}
