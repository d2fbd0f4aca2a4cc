// hearth plan <hf-dir or built DIR> --context N [--vram 8GiB] [--ram 16GiB] [--json]
// What a model needs at each precision before anything is built or loaded: weights, KV cache
// and workspace (main/engine/memory-plan/memory-plan.ts), and whether that fits the machine with 10% of
// its memory left free.
import { existsSync } from 'node:fs';
import { totalmem } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PRECISIONS, MANIFEST_FILE, type Precision } from '../../common/model-manifest.ts';
import type { ModelSpec } from '../../common/model-spec.ts';
import { countParameters, fitsIn, planMemory } from '../../engine/memory-plan/memory-plan.ts';
import { CONFIG_FILE, openModelSource } from '../../engine/architectures/model-source.ts';
import { isGgufPath, openGgufModelSource } from '../../engine/gguf/gguf-model-source.ts';
import { planGgufAsDownloaded } from '../../engine/gguf/gguf-as-downloaded-plan.ts';
import { readGgufHeader } from '../../engine/gguf/gguf-file.ts';
import { ggufFileTypeName } from '../../engine/gguf/gguf-source-format.ts';
import { precisionOptionName } from '../../common/precision-plan-contract.ts';
import { ModelFolderError } from '../../engine/built-model-cache.ts';
import { DEFAULT_CONTEXT_LENGTH } from '../../engine/runtime/cached-sequence.ts';
import { readManifest } from '../../engine/runtime/model-session.ts';
import { UsageError, type Command } from '../command.ts';
import { formatBytes, parseByteSize } from '../byte-size.ts';
import { parseIntegerOption } from '../option-values.ts';

/** Fraction of memory kept free for the OS, other programs and estimate error. */
const HEADROOM = 0.1;
/** fp32 runs on the CPU; the smaller precisions are the ones worth putting on a GPU. */
const GPU_PRECISIONS: readonly Precision[] = ['fp16', 'int8', 'int4'];

export const planCommand: Command = {
  name: 'plan',
  summary: 'memory a model needs at each precision, and whether it fits',
  usage:
    'hearth plan <hf-dir or built DIR> [--context N] [--vram SIZE] [--ram SIZE] [--json]\n\n' +
    `For fp32, fp16, int8 and int4 (and a GGUF file as downloaded, first): weights, KV cache, workspace and total, and whether the total fits in RAM\n` +
    `(default: this machine's ${formatBytes(totalmem())}) and, for the GPU precisions fp16/int8/int4, in --vram,\n` +
    `leaving ${HEADROOM * 100}% free. --context defaults to min(model context, ${DEFAULT_CONTEXT_LENGTH}).\n` +
    'Sizes: 8GiB, 8GB, 512MiB, or bytes. --json prints one JSON line.',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { context: { type: 'string' }, vram: { type: 'string' }, ram: { type: 'string' }, json: { type: 'boolean', default: false } },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one model folder');
    const vramBytes = values.vram === undefined ? null : parseByteSize('--vram', values.vram);
    const ramBytes = values.ram === undefined ? totalmem() : parseByteSize('--ram', values.ram);
    const requestedContext = values.context === undefined ? undefined : parseIntegerOption('--context', values.context, { min: 1 });

    const dir = positionals[0];
    const spec = await readSpec(dir);
    const context = requestedContext ?? Math.min(spec.contextLength, DEFAULT_CONTEXT_LENGTH);
    if (context > spec.contextLength) throw new UsageError(`--context ${context} is longer than the ${spec.contextLength} tokens the model was trained for`);

    const plans = PRECISIONS.map((precision) => {
      // RAM holds what the CPU provider makes of the weights; VRAM holds them as stored.
      const plan = planMemory(spec, precision, context, { device: 'cpu' });
      const onGpu = GPU_PRECISIONS.includes(precision);
      const gpuPlan = onGpu ? planMemory(spec, precision, context, { device: 'gpu' }) : null;
      return {
        precision,
        ...plan,
        gpuTotalBytes: gpuPlan?.totalBytes ?? null,
        fitsRam: fitsIn(plan, ramBytes, HEADROOM),
        fitsVram: gpuPlan && vramBytes !== null ? fitsIn(gpuPlan, vramBytes, HEADROOM) : null,
      };
    });
    // A GGUF file: first, the file built as downloaded (a float32 graph keeping its blocks; CPU only),
    // planned from its tensor table, with fp32's KV cache and workspace.
    const asDownloaded = isGgufPath(dir) && !existsSync(join(dir, MANIFEST_FILE)) ? await planAsDownloaded(dir, context, ramBytes) : null;
    const name = basename(resolve(dir));
    const parameters = countParameters(spec);

    if (values.json) {
      console.log(JSON.stringify({ model: name, architecture: spec.architecture, parameters, context, ramBytes, vramBytes, headroom: HEADROOM, plans, ...(asDownloaded ? { asDownloaded } : {}) }));
      return 0;
    }
    const yesNo = (fits: boolean | null, gpu: boolean) => (fits === null ? (gpu ? '?' : '-') : fits ? 'yes' : 'no');
    const rows = [
      ['precision', 'weights', 'KV cache', 'workspace', 'total', 'RAM', 'VRAM'],
      ...(asDownloaded
        ? [[asDownloaded.name, ...[asDownloaded.weightBytes, asDownloaded.kvCacheBytes, asDownloaded.workspaceBytes, asDownloaded.totalBytes].map(formatBytes), yesNo(asDownloaded.fitsRam, false), '-']]
        : []),
      ...plans.map((p) => [
        p.precision,
        formatBytes(p.weightBytes),
        formatBytes(p.kvCacheBytes),
        formatBytes(p.workspaceBytes),
        formatBytes(p.totalBytes),
        yesNo(p.fitsRam, false),
        yesNo(p.fitsVram, GPU_PRECISIONS.includes(p.precision)),
      ]),
    ];
    const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
    console.log(`${name}: ${spec.architecture}, ${(parameters / 1e6).toFixed(2)}M parameters, context ${context} tokens`);
    console.log(`RAM ${formatBytes(ramBytes)}${vramBytes === null ? '' : `, VRAM ${formatBytes(vramBytes)}`}; fits means total ≤ ${(1 - HEADROOM) * 100}% of it`);
    for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd());
    if (vramBytes === null) console.log('VRAM ?: give --vram SIZE to check the GPU precisions');
    return 0;
  },
};

/** The memory of a GGUF file built as downloaded (gguf-as-downloaded-plan.ts), as a plan row. */
async function planAsDownloaded(path: string, context: number, ramBytes: number) {
  const planned = await planGgufAsDownloaded(path, context);
  const fp32 = planMemory(planned.spec, 'fp32', context, { device: 'cpu' });
  const plan = { ...fp32, weightBytes: planned.weightBytes, residentWeightBytes: planned.residentWeightBytes, totalBytes: fp32.totalBytes - fp32.residentWeightBytes + planned.residentWeightBytes };
  const fileType = ggufFileTypeName(readGgufHeader(path));
  return { name: precisionOptionName({ precision: 'fp32', asDownloaded: fileType }), fileType, ...plan, fitsRam: fitsIn(plan, ramBytes, HEADROOM) };
}

/** The spec of a built folder (from hearth.json), a Hugging Face folder (from config.json) or a GGUF file (from its metadata). */
async function readSpec(dir: string): Promise<ModelSpec> {
  if (!existsSync(dir)) throw new ModelFolderError(`${dir} does not exist. Give a Hugging Face model folder or a built model folder.`);
  if (existsSync(join(dir, MANIFEST_FILE))) return (await readManifest(dir)).spec;
  if (isGgufPath(dir)) {
    const source = await openGgufModelSource(dir);
    await source.close();
    return source.spec;
  }
  if (!existsSync(join(dir, CONFIG_FILE))) {
    throw new ModelFolderError(`${dir} is neither a built model (no ${MANIFEST_FILE}) nor a Hugging Face model folder (no ${CONFIG_FILE}).`);
  }
  const source = await openModelSource(dir);
  await source.close();
  return source.spec;
}
