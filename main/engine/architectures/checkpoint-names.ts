// A tensor's name in a checkpoint depends on the class that saved it: LlamaForCausalLM writes
// "model.layers.0…", LlamaModel writes "layers.0…"; GPT2LMHeadModel writes "transformer.h.0…",
// GPT2Model "h.0…". Loaders name the tensor without the prefix and try both.
import type { F32Tensor } from '../../common/model-spec.ts';
import type { Checkpoint } from '../checkpoint/checkpoint.ts';
import { CheckpointError } from '../checkpoint/checkpoint-error.ts';

/** The first of `candidates` that the checkpoint has, or null. */
export function findTensorName(checkpoint: Checkpoint, candidates: readonly string[]): string | null {
  return candidates.find((name) => checkpoint.has(name)) ?? null;
}

/** Reads `name` with or without `prefix` ("model", "transformer", …); throws if neither is there. */
export async function readPrefixed(checkpoint: Checkpoint, prefix: string, name: string): Promise<F32Tensor> {
  return readFirst(checkpoint, [`${prefix}.${name}`, name]);
}

/** Reads the first of `candidates` the checkpoint has; throws a CheckpointError naming them all if none. */
export async function readFirst(checkpoint: Checkpoint, candidates: readonly string[]): Promise<F32Tensor> {
  const name = findTensorName(checkpoint, candidates);
  if (name === null) {
    throw new CheckpointError(
      checkpoint.dir,
      `The checkpoint in ${checkpoint.dir} has no tensor ${candidates.map((c) => `"${c}"`).join(' or ')}. config.json does not match the weights, or the download is incomplete: download the model again.`,
    );
  }
  return checkpoint.readF32(name);
}
