// Checks that a checkpoint holds every weight its config.json implies, each with the shape the
// config implies, from the safetensors headers alone (no tensor data is read, so it takes
// milliseconds on any size of model). It runs the architecture's own loader on shape-only
// tensors, so the tensor names, fused-QKV splits and transposes it checks are exactly those a
// build uses, and the expected shapes come from spec-weights.ts, as the build's own shape check.
// The layer count is checked first, by probing layers one at a time, so a config claiming a
// billion layers is refused before anything is allocated per layer.
import type { ModelSpec, WeightName } from '../../common/model-spec.ts';
import type { Checkpoint, TensorInfo } from '../checkpoint/checkpoint.ts';
import { CheckpointError } from '../checkpoint/checkpoint-error.ts';
import { HeaderOnlyCheckpoint } from '../checkpoint/header-only-checkpoint.ts';
import type { ArchitectureDefinition } from './architecture.ts';
import { expectedWeightDims, specWeightNames, type WeightDim } from './spec-weights.ts';

export interface WeightsToCheck {
  /** config.json's path, for messages. */
  configPath: string;
  /** config.json as parsed, to name its layer-count field. */
  config: unknown;
  architecture: ArchitectureDefinition;
  spec: ModelSpec;
  checkpoint: Checkpoint;
}

/** The config.json fields that give the layer count, by architecture. */
const LAYER_COUNT_FIELDS = ['num_hidden_layers', 'n_layer', 'n_layers'];

/** Throws a CheckpointError naming the file, the tensor and the mismatch when the weights do not fit the config. */
export async function checkWeightsMatchConfig(input: WeightsToCheck): Promise<void> {
  const header = new HeaderOnlyCheckpoint(input.checkpoint);
  await checkLayerCount(input, header);
  for (const name of specWeightNames(input.spec)) await checkWeight(input, header, name);
}

async function checkLayerCount(input: WeightsToCheck, header: HeaderOnlyCheckpoint): Promise<void> {
  const { spec, configPath } = input;
  const claimed = spec.numLayers;
  const field = layerCountField(input.config, claimed);
  const fix = (held: number): string =>
    held === 0 ? 'Download the model again.' : `If the weights are right, set ${field} to ${held} in config.json; otherwise download the model again.`;
  // Every layer has at least one tensor, so no checkpoint holds more layers than tensors.
  const limit = header.tensors.size;
  if (!(await hasLayer(input, header, claimed - 1))) {
    let held = 0;
    while (held < limit && (await hasLayer(input, header, held))) held++;
    const holds = held === 0 ? 'no layers at all (nothing for layer 0)' : `${held} layer${held === 1 ? '' : 's'} (0 to ${held - 1})`;
    throw new CheckpointError(configPath, `${configPath} gives ${field} = ${claimed}, but the weights (${weightFiles(header)}) hold ${holds}. ${fix(held)}`);
  }
  if (await hasLayer(input, header, claimed)) {
    let held = claimed + 1;
    while (held < limit && (await hasLayer(input, header, held))) held++;
    throw new CheckpointError(
      configPath,
      `${configPath} gives ${field} = ${claimed}, but the weights (${weightFiles(header)}) hold ${held} layers (0 to ${held - 1}); the extra ones would be ignored. ${fix(held)}`,
    );
  }
}

/** Whether the checkpoint has layer `layer`'s attention norm (every architecture has one), by the loader's own names. */
async function hasLayer(input: WeightsToCheck, header: HeaderOnlyCheckpoint, layer: number): Promise<boolean> {
  if (layer < 0) return true;
  const spec = { ...input.spec, numLayers: Math.max(input.spec.numLayers, layer + 1) };
  try {
    await input.architecture.loadWeight(`layers.${layer}.attnNorm.weight`, header, spec);
    return true;
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    // A tensor that exists but cannot be a weight (an integer dtype) still counts; checkWeight reports it.
    return header.takeRead().length > 0;
  } finally {
    header.takeRead();
  }
}

async function checkWeight(input: WeightsToCheck, header: HeaderOnlyCheckpoint, name: WeightName): Promise<void> {
  const dims = expectedWeightDims(input.spec, name);
  if (dims === null) return;
  header.takeRead();
  let tensor;
  try {
    tensor = await input.architecture.loadWeight(name, header, input.spec);
  } catch (error) {
    if (error instanceof CheckpointError) {
      if (header.takeRead().length > 0) throw error; // found, but not a float tensor
      // Missing: say which weight the config wants there, and why.
      const why = name === 'lmHead' ? ' (its own output head, because tie_word_embeddings is false)' : '';
      throw new CheckpointError(error.path, `${error.message} ${input.configPath} implies it as ${name}${why}, shape [${describeDims(dims)}]; ${weightFiles(header)} lacks it.`, {
        cause: error,
      });
    }
    // A layout function refusing a tensor of the wrong size: report it as the mismatch it is.
    const stored = header.takeRead().at(-1);
    throw new CheckpointError(
      stored?.file ?? header.dir,
      `${stored ? `${stored.file}: tensor "${stored.name}" with shape [${stored.shape.join(', ')}]` : `The weights in ${header.dir}`} cannot give ${name} ` +
        `(${(error as Error).message}), which ${input.configPath} implies is [${describeDims(dims)}]. ${DISAGREE}`,
      { cause: error },
    );
  }
  const stored = header.takeRead().at(-1);
  if (tensor === null || stored === undefined) {
    throw new CheckpointError(header.dir, `The checkpoint in ${header.dir} lacks weight ${name}, which ${input.configPath} implies. Download the model again.`);
  }
  const expected = dims.map((d) => d.size);
  if (sameShape(tensor.shape, expected)) return;
  const sharing = await weightsReadFrom(input, header, name, stored.name);
  if (sharing.length > 1) {
    // A fused tensor (q, k and v, or gate and up, in one) that the loader could not split.
    const parts = sharing.map((part) => `${part} [${describeDims(expectedWeightDims(input.spec, part) ?? [])}]`);
    throw new CheckpointError(
      stored.file,
      `${stored.file}: tensor "${stored.name}" has shape [${stored.shape.join(', ')}] and holds ${sharing.join(', ')} together, ` +
        `but ${input.configPath} implies ${parts.join(', ')}, which do not add up to it. ${DISAGREE}`,
    );
  }
  throw new CheckpointError(
    stored.file,
    `${stored.file}: tensor "${stored.name}" ${describeShape(stored, tensor.shape, name)}, but ${input.configPath} implies [${expected.join(', ')}]: ${whichDiffer(tensor.shape, dims)}. ${DISAGREE}`,
  );
}

/** The weights of `name`'s layer (or the globals) whose loading reads the stored tensor `tensorName`. */
async function weightsReadFrom(input: WeightsToCheck, header: HeaderOnlyCheckpoint, name: WeightName, tensorName: string): Promise<WeightName[]> {
  const layer = /^layers\.\d+\./.exec(name)?.[0] ?? null;
  const sameGroup = specWeightNames(input.spec).filter((other) => (layer === null ? !other.startsWith('layers.') : other.startsWith(layer)));
  const sharing: WeightName[] = [];
  for (const other of sameGroup) {
    header.takeRead();
    await input.architecture.loadWeight(other, header, input.spec).catch(() => null);
    if (header.takeRead().some((info) => info.name === tensorName)) sharing.push(other);
  }
  return sharing;
}

const DISAGREE = 'config.json and the weights do not belong to the same model, or one of them is damaged: fix config.json to match the weights, or download the model again.';

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** "has shape [768, 2304]" and, when the loader transposed or split it, what it gives the weight. */
function describeShape(stored: TensorInfo, shape: readonly number[], name: WeightName): string {
  const has = `has shape [${stored.shape.join(', ')}]`;
  return sameShape(stored.shape, shape) ? `${has} (${name})` : `${has}, which gives ${name} the shape [${shape.join(', ')}]`;
}

function describeDims(dims: readonly WeightDim[]): string {
  return dims.map((d) => `${d.size} = ${d.meaning}`).join(', ');
}

/** "its dimension 0 is 1024 where config.json's vocab size gives 10", for each dimension that differs. */
function whichDiffer(shape: readonly number[], dims: readonly WeightDim[]): string {
  if (shape.length !== dims.length) return `it has ${shape.length} dimension${shape.length === 1 ? '' : 's'}, not ${dims.length}`;
  const differ = dims.flatMap((d, i) => (shape[i] === d.size ? [] : [`its dimension ${i} is ${shape[i]} where config.json's ${d.meaning} gives ${d.size}`]));
  return differ.join(', and ');
}

function layerCountField(config: unknown, claimed: number): string {
  const fields = (typeof config === 'object' && config !== null ? config : {}) as Record<string, unknown>;
  return LAYER_COUNT_FIELDS.find((field) => fields[field] === claimed) ?? 'the layer count';
}

/** The file holding the weights, or how many files and where. */
function weightFiles(header: HeaderOnlyCheckpoint): string {
  const files = new Set([...header.tensors.values()].map((info) => info.file));
  return files.size === 1 ? [...files][0] : `${files.size} .safetensors files in ${header.dir}`;
}
