// Training checkpoints: everything a killed run needs to continue as if it had never stopped.
//   <out>/checkpoints/step-000040/
//     adapter_config.json, adapter_model.safetensors   the adapter (PEFT files, usable as they are)
//     optimizer.safetensors                             AdamW moments m.<param>, v.<param>
//     trainer_state.json                                step, data order and position, generator
//                                                       state, the metrics so far, the settings
// A checkpoint is written beside its final name and renamed when complete, so a crash while
// writing never leaves a half checkpoint that looks whole. The last KEEP_CHECKPOINTS are kept.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelSpec } from '../common/model-spec.ts';
import { SafetensorsFile } from '../engine/checkpoint/safetensors-file.ts';
import { writeSafetensors, type TensorToWrite } from '../engine/checkpoint/safetensors-writer.ts';
import type { AdamWState } from './adamw.ts';
import type { EpochSamplerState } from './epoch-sampler.ts';
import type { LoraAdapter } from './lora-adapter.ts';
import { readPeftAdapter, writePeftAdapter } from './peft-adapter-files.ts';

export const CHECKPOINTS_DIR = 'checkpoints';
const STATE_FILE = 'trainer_state.json';
const OPTIMIZER_FILE = 'optimizer.safetensors';
const STATE_FORMAT = 1;
const KEEP_CHECKPOINTS = 2;

/** One point of the loss curve. */
export interface MetricPoint {
  step: number;
  loss?: number;
  evalLoss?: number;
  lr?: number;
  tokensPerSecond?: number;
  epoch?: number;
  /** DPO (TRL's rewards/*): mean implicit rewards β·log(π/π_ref) of chosen and rejected, their margin, and the share of pairs won; on the step's pairs and on the eval pairs. */
  rewardsChosen?: number;
  rewardsRejected?: number;
  rewardsMargin?: number;
  rewardsAccuracy?: number;
  evalRewardsChosen?: number;
  evalRewardsRejected?: number;
  evalRewardsMargin?: number;
  evalRewardsAccuracy?: number;
}

export interface TrainerState {
  format: typeof STATE_FORMAT;
  /** Optimizer steps done. */
  step: number;
  sampler: EpochSamplerState;
  metrics: MetricPoint[];
  /** The settings that must not change across a resume (see FinetuneJob). */
  fingerprint: Record<string, unknown>;
  /** Non-padding tokens trained on so far, and the time spent, for speed reports. */
  tokensSeen: number;
  trainingMs: number;
}

export interface LoadedCheckpoint {
  dir: string;
  state: TrainerState;
  adapter: LoraAdapter;
  optimizer: AdamWState;
}

/** A checkpoint that cannot be resumed from. */
export class CheckpointResumeError extends Error {
  override name = 'CheckpointResumeError';
}

const stepDirName = (step: number) => `step-${String(step).padStart(6, '0')}`;

export async function saveTrainingCheckpoint(outDir: string, state: TrainerState, adapter: LoraAdapter, optimizer: AdamWState): Promise<string> {
  const root = join(outDir, CHECKPOINTS_DIR);
  const final = join(root, stepDirName(state.step));
  const partial = `${final}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  await writePeftAdapter(partial, adapter);
  const moments: Record<string, TensorToWrite> = {};
  for (const [name, m] of optimizer.m) moments[`m.${name}`] = { dtype: 'F32', shape: [m.length], data: m };
  for (const [name, v] of optimizer.v) moments[`v.${name}`] = { dtype: 'F32', shape: [v.length], data: v };
  await writeSafetensors(join(partial, OPTIMIZER_FILE), moments, { step: String(optimizer.step) });
  await writeFile(join(partial, STATE_FILE), JSON.stringify(state) + '\n');
  await rm(final, { recursive: true, force: true });
  await rename(partial, final);
  const older = (await listCheckpoints(root)).slice(0, -KEEP_CHECKPOINTS);
  for (const dir of older) await rm(join(root, dir), { recursive: true, force: true });
  return final;
}

async function listCheckpoints(root: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  return (await readdir(root)).filter((name) => /^step-\d+$/.test(name)).sort();
}

/** The latest complete checkpoint in `outDir`, or null when there is none. */
export async function loadLatestCheckpoint(outDir: string, spec: ModelSpec): Promise<LoadedCheckpoint | null> {
  const root = join(outDir, CHECKPOINTS_DIR);
  const names = await listCheckpoints(root);
  if (names.length === 0) return null;
  const dir = join(root, names[names.length - 1]);
  let state: TrainerState;
  try {
    state = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as TrainerState;
  } catch (error) {
    throw new CheckpointResumeError(`${dir}/${STATE_FILE} cannot be read (${(error as Error).message}); delete ${dir} to resume from an earlier checkpoint.`);
  }
  if (state.format !== STATE_FORMAT) throw new CheckpointResumeError(`${dir} was written in checkpoint format ${String(state.format)}; this version reads ${STATE_FORMAT}.`);
  const adapter = await readPeftAdapter(dir, spec);
  const file = await SafetensorsFile.open(join(dir, OPTIMIZER_FILE));
  try {
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    for (const key of file.tensors.keys()) {
      const data = (await file.readF32(key)).data;
      if (key.startsWith('m.')) m.set(key.slice(2), data);
      else if (key.startsWith('v.')) v.set(key.slice(2), data);
    }
    return { dir, state, adapter, optimizer: { step: Number(file.metadata.step ?? state.step), m, v } };
  } finally {
    await file.close();
  }
}
