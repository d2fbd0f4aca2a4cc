// The check a loader makes after reading a tensor: does its shape match what config.json implies?
import type { F32Tensor } from '../../common/model-spec.ts';
import { CheckpointError } from './checkpoint-error.ts';

export function expectShape(name: string, tensor: Pick<F32Tensor, 'shape'>, shape: readonly number[], where = 'the checkpoint'): void {
  const matches = tensor.shape.length === shape.length && tensor.shape.every((d, i) => d === shape[i]);
  if (!matches) {
    throw new CheckpointError(
      where,
      `Tensor "${name}" in ${where} has shape [${tensor.shape.join(', ')}], but config.json implies [${shape.join(', ')}]. The config and the weights belong to different models: download the model again.`,
    );
  }
}
