// Where the app keeps what it makes, all under the data directory:
//   models/<modelId>/<precision>-<attention>/           built variants
//   models/<modelId>/adapters/<adapterId>/<precision>/  builds with an adapter folded in
//   models/<modelId>/source/                            a merged model's Hugging Face folder
//   models/<modelId>/gguf/<file>                        a GGUF file copied in at import (on request)
//   adapters/<adapterId>/                               adapters (PEFT files)
//   jobs/<jobId>/                                       fine-tune jobs' checkpoints and metrics
//   downloads/<owner>/<name>/                           files downloaded from the Hugging Face Hub (read where they are once imported)
// Imported models stay in the user's folder (read-only), so deleting a model removes
// <dataDir>/models/<modelId> and never touches the user's files.
import { join } from 'node:path';
import type { AttentionMode, Precision } from '../common/model-manifest.ts';

/** The attention every variant is built with: fused runs on both the CPU and WebGPU. */
export const VARIANT_ATTENTION: AttentionMode = 'fused';

export function modelsRoot(dataDir: string): string {
  return join(dataDir, 'models');
}

export function modelDataDir(dataDir: string, modelId: string): string {
  return join(modelsRoot(dataDir), modelId);
}

export function variantDir(dataDir: string, modelId: string, precision: Precision, attention: AttentionMode = VARIANT_ATTENTION): string {
  return join(modelDataDir(dataDir, modelId), `${precision}-${attention}`);
}

/** A GGUF file copied into the data directory at import: deleted with the model, like everything under its folder. */
export function copiedGgufFile(dataDir: string, modelId: string, fileName: string): string {
  return join(modelDataDir(dataDir, modelId), 'gguf', fileName);
}

/** A model made by merging an adapter: its Hugging Face folder, owned by Hearth (deleted with the model). */
export function mergedModelSourceDir(dataDir: string, modelId: string): string {
  return join(modelDataDir(dataDir, modelId), 'source');
}

/** A model built with an adapter folded in: <dataDir>/models/<modelId>/adapters/<adapterId>/<precision>. */
export function adaptedVariantDir(dataDir: string, modelId: string, adapterId: string, precision: Precision): string {
  return join(adaptedVariantsDir(dataDir, modelId, adapterId), precision);
}

/** The builds with an adapter folded in, of every adapter of one model. */
export function adaptedVariantsRoot(dataDir: string, modelId: string): string {
  return join(modelDataDir(dataDir, modelId), 'adapters');
}

/** Every built variant of one adapter, over whatever precisions. */
export function adaptedVariantsDir(dataDir: string, modelId: string, adapterId: string): string {
  return join(adaptedVariantsRoot(dataDir, modelId), adapterId);
}

/** The library's adapters (PEFT files, copied here whether trained or imported). */
export function adaptersRoot(dataDir: string): string {
  return join(dataDir, 'adapters');
}

export function adapterDataDir(dataDir: string, adapterId: string): string {
  return join(adaptersRoot(dataDir), adapterId);
}

/** Fine-tune jobs' working folders: checkpoints, metrics.jsonl, and the adapter as trained. */
export function jobsRoot(dataDir: string): string {
  return join(dataDir, 'jobs');
}

export function jobDataDir(dataDir: string, jobId: string): string {
  return join(jobsRoot(dataDir), jobId);
}

/** Downloads from the Hugging Face Hub: <dataDir>/downloads/<owner>/<name>/ (the repo id is checked to be owner/name). */
export function downloadsRoot(dataDir: string): string {
  return join(dataDir, 'downloads');
}

export function downloadDir(dataDir: string, repo: string): string {
  return join(downloadsRoot(dataDir), ...repo.split('/'));
}
