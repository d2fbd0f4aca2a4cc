// Where the library keeps what it builds: <dataDir>/models/<modelId>/<precision>-<attention>/.
// Imported models stay in the user's folder (read-only); only built variants live here, so
// deleting a model removes <dataDir>/models/<modelId> and never touches the user's files.
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
