// `hearth merge`: a new Hugging Face folder whose weights have the adapter folded in, so the
// library imports and builds it like any model, at any precision. Every other tensor is copied
// in its own dtype; merged ones keep theirs too (rounded back to F16/BF16 where the base is).
// The whole checkpoint passes through memory once: fine for the small models trained here.
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openCheckpoint, SINGLE_FILE, INDEX_FILE } from '../engine/checkpoint/safetensors-checkpoint.ts';
import { SafetensorsFile } from '../engine/checkpoint/safetensors-file.ts';
import { writeSafetensors, type TensorToWrite } from '../engine/checkpoint/safetensors-writer.ts';
import { openModelSource } from '../engine/architectures/model-source.ts';
import { loraScaling, type LoraAdapter } from './lora-adapter.ts';
import { mergeModuleWeight, modulesByTensorName } from './merged-weights.ts';
import { readPeftAdapter } from './peft-adapter-files.ts';
import { checkLoraArchitecture } from './lora-targets.ts';

export interface MergeResult {
  mergedTensors: number;
  copiedTensors: number;
}

export async function mergeAdapterIntoFolder(baseDir: string, adapterDir: string, outDir: string): Promise<MergeResult> {
  const source = await openModelSource(baseDir);
  let adapter: LoraAdapter;
  try {
    checkLoraArchitecture(source.spec);
    adapter = await readPeftAdapter(adapterDir, source.spec);
  } finally {
    await source.close();
  }
  if (existsSync(join(outDir, SINGLE_FILE))) throw new Error(`${outDir} already holds a model (${SINGLE_FILE}); choose a new folder for the merged model.`);
  const scaling = loraScaling(adapter.settings);
  const checkpoint = await openCheckpoint(baseDir);
  const byTensor = modulesByTensorName(adapter, checkpoint);
  const tensors: Record<string, TensorToWrite> = {};
  let mergedTensors = 0;
  try {
    const files = new Map<string, SafetensorsFile>();
    try {
      for (const [name, info] of checkpoint.tensors) {
        const module = byTensor.get(name);
        if (module) {
          const weight = await checkpoint.readF32(name);
          tensors[name] = { dtype: info.dtype, shape: info.shape, data: mergeModuleWeight(weight.data, module, adapter.settings.r, scaling, adapter.settings.fanInFanOut) };
          mergedTensors++;
          continue;
        }
        let file = files.get(info.file);
        if (!file) {
          file = await SafetensorsFile.open(info.file);
          files.set(info.file, file);
        }
        const typed = await file.readTyped(name);
        tensors[name] = { dtype: typed.dtype, shape: typed.shape, data: typed.data };
      }
    } finally {
      for (const file of files.values()) await file.close();
    }
  } finally {
    await checkpoint.close();
  }
  const missing = [...byTensor.keys()].filter((name) => !(name in tensors));
  if (missing.length > 0) throw new Error(`${baseDir} has no tensor ${missing[0]}, which the adapter changes: the adapter belongs to another model.`);
  for (const [name, info] of Object.entries(tensors)) if (info.dtype !== 'F32' && info.dtype !== 'F16' && info.dtype !== 'BF16' && byTensor.has(name)) throw new Error(`${name} is ${info.dtype}; only float weights can be merged.`);

  await mkdir(outDir, { recursive: true });
  await writeSafetensors(join(outDir, SINGLE_FILE), tensors, { format: 'pt' });
  for (const entry of await readdir(baseDir)) {
    // Configs, tokenizer files and the chat template travel along; weights were rewritten above.
    const isCompanion = (entry.endsWith('.json') && entry !== INDEX_FILE) || entry.endsWith('.jinja') || entry.endsWith('.model') || entry === 'merges.txt' || entry === 'vocab.txt';
    if (isCompanion) await copyFile(join(baseDir, entry), join(outDir, entry));
  }
  return { mergedTensors, copiedTensors: Object.keys(tensors).length - mergedTensors };
}
