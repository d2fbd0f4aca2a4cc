// Chat with base + adapter: the adapter is folded into the weights while the inference graph is
// built (W + (alpha/r)·B·A per targeted layer), so generation runs the ordinary fused graph at
// full speed, at any precision (the merge happens in float32, before quantization). The build's
// sourceHash covers the adapter too, so a cache never mistakes it for the base model's build.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, type ModelManifest } from '../common/model-manifest.ts';
import { openModelSource } from '../engine/architectures/model-source.ts';
import { buildFromSource, type BuildOptions } from '../engine/builder/build-model.ts';
import { checkLoraArchitecture } from './lora-targets.ts';
import { adaptedModelSource } from './merged-weights.ts';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, readPeftAdapter } from './peft-adapter-files.ts';

export async function buildAdaptedModel(baseDir: string, adapterDir: string, outDir: string, options: BuildOptions): Promise<ModelManifest> {
  const source = await openModelSource(baseDir);
  try {
    checkLoraArchitecture(source.spec);
    const adapter = await readPeftAdapter(adapterDir, source.spec);
    const manifest = await buildFromSource(adaptedModelSource(source, adapter), outDir, { ...options, sourceDir: baseDir });
    const hash = createHash('sha256').update(manifest.sourceHash);
    for (const file of [ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE]) hash.update(await readFile(join(adapterDir, file)));
    const adapted: ModelManifest = { ...manifest, sourceHash: hash.digest('hex') };
    await writeFile(join(outDir, MANIFEST_FILE), JSON.stringify(adapted, null, 2) + '\n');
    return adapted;
  } finally {
    await source.close();
  }
}
