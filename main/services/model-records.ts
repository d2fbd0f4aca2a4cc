// Store records as the API shows them: a model with its variants, and its validated spec.
import { ApiError } from '../common/contracts/api-error.ts';
import type { ModelSummary, ModelVariant } from '../common/contracts/models.ts';
import { ModelSpecSchema } from '../common/model-manifest.ts';
import type { ModelSpec } from '../common/model-spec.ts';
import type { ModelRecord, ModelVariantRecord } from '../store/models-repository.ts';
import type { Store } from '../store/store.ts';

export function requireModel(store: Store, modelId: string): ModelRecord {
  const model = store.models.get(modelId);
  if (!model) throw new ApiError('not-found', `There is no model ${modelId} in the library (was it deleted?).`);
  return model;
}

/**
 * Fine-tuning and adapters read the base model's Hugging Face folder (its float weights, its
 * config); a model imported from a GGUF file has neither, so they are refused up front with what
 * to do, not left to fail inside a training worker.
 */
export function requireHuggingFaceFolder(model: ModelRecord, action: string): void {
  if (!model.gguf) return;
  throw new ApiError(
    'invalid-input',
    `${model.name} was imported from a GGUF file (${model.gguf.fileType}), which Hearth chats with but cannot ${action}: that needs the model's Hugging Face ` +
      'folder (config.json and the .safetensors weights). Import that folder, and use it as the base model.',
  );
}

/** The spec stored at import, checked again: the column is JSON the store does not validate. */
export function specOf(model: ModelRecord): ModelSpec {
  const parsed = ModelSpecSchema.safeParse(model.spec);
  if (!parsed.success) {
    throw new ApiError('model-invalid', `The stored description of ${model.name} is unreadable; delete the model and import ${model.sourceDir} again.`);
  }
  return parsed.data as ModelSpec;
}

export function variantSummary(variant: ModelVariantRecord): ModelVariant {
  return {
    id: variant.id,
    precision: variant.precision,
    attention: variant.attention,
    status: variant.status,
    weightBytes: variant.weightBytes,
    measuredPeakBytes: variant.measuredPeakBytes,
    error: variant.error,
  };
}

export function modelSummary(store: Store, model: ModelRecord): ModelSummary {
  return {
    id: model.id,
    name: model.name,
    architecture: specOf(model).architecture,
    parameters: model.parameters,
    contextLength: model.contextLength,
    sizeOnDiskBytes: model.sizeBytes,
    bundled: model.isBundled,
    variants: store.models.listVariants(model.id).map(variantSummary),
    gguf: model.gguf ? { path: model.sourceDir, ...model.gguf } : null,
  };
}
