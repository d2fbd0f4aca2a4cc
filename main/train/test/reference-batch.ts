// Test support: the PEFT reference fixtures in ../shared/fixtures/lora (see its README), read
// with the project's own safetensors reader. Tests skip when the folder is absent.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SafetensorsFile } from '../../engine/checkpoint/safetensors-file.ts';
import type { TokenBatch } from '../training-session.ts';

export const SHARED_DIR = fileURLToPath(new URL('../../../../shared/', import.meta.url));
export const LORA_FIXTURES = `${SHARED_DIR}fixtures/lora`;
export const SHAKESPEARE_DIR = `${SHARED_DIR}fixtures/shakespeare-5m`;
export const FIXTURES_MISSING = existsSync(`${LORA_FIXTURES}/grad_reference.safetensors`) && existsSync(`${SHAKESPEARE_DIR}/config.json`)
  ? false
  : `the LoRA reference fixtures are not at ${LORA_FIXTURES} (../shared beside the checkout)`;

export interface GradReference {
  batch: TokenBatch;
  lossPerStep: number[];
  /** grad0.<name> and after3.<name> by the training graph's parameter name (without base_model.model.). */
  grad0: Map<string, Float32Array>;
  after3: Map<string, Float32Array>;
  mergedQProj0: Float32Array;
}

export async function readGradReference(): Promise<GradReference> {
  const json = JSON.parse(await readFile(`${LORA_FIXTURES}/grad_reference.json`, 'utf8')) as { loss_per_step: number[] };
  const file = await SafetensorsFile.open(`${LORA_FIXTURES}/grad_reference.safetensors`);
  try {
    const ids = await file.readTyped('input_ids');
    const [rows, length] = ids.shape;
    const batch: TokenBatch = {
      rows,
      length,
      inputIds: ids.data as BigInt64Array,
      attentionMask: (await file.readTyped('attention_mask')).data as BigInt64Array,
      labels: (await file.readTyped('labels')).data as BigInt64Array,
    };
    const grad0 = new Map<string, Float32Array>();
    const after3 = new Map<string, Float32Array>();
    for (const key of file.tensors.keys()) {
      if (key.startsWith('grad0.')) grad0.set(key.slice('grad0.'.length), (await file.readF32(key)).data);
      if (key.startsWith('after3.')) after3.set(key.slice('after3.'.length), (await file.readF32(key)).data);
    }
    const mergedQProj0 = (await file.readF32('merged.model.layers.0.self_attn.q_proj.weight')).data;
    return { batch, lossPerStep: json.loss_per_step, grad0, after3, mergedQProj0 };
  } finally {
    await file.close();
  }
}
