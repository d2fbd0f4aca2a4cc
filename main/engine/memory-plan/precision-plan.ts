// Which precision to run a model at on this machine, from the memory planner and the detected
// hardware. Every precision gets its size, a fit badge, the device it would run on and a quality
// note; the pick is the best quality that fits with headroom, on the GPU when the WebGPU provider
// works and the model fits in its memory. A pick on the CPU always carries the reason, because a
// quiet fallback to the CPU is what users of other local-LLM apps complain about most.
import type { GpuInfo, HardwareSummary } from '../../common/hardware-contract.ts';
import { fitsIn, planMemory } from './memory-plan.ts';
import type { MemoryPlanOptions } from './memory-plan.ts';
import type { Precision } from '../../common/model-manifest.ts';
import type { ModelSpec } from '../../common/model-spec.ts';
import { precisionOptionName, type PlanDevice, type PrecisionOption, type PrecisionPlan, type PrecisionQuality } from '../../common/precision-plan-contract.ts';

export type { PrecisionPlan } from '../../common/precision-plan-contract.ts';

/** Each budget keeps this fraction free: estimates are estimates, and the OS and other apps need room. */
export const PLAN_HEADROOM = 0.1;

/**
 * Perplexity increase over fp32 on shakespeare-5m (the bundled demo model; held-out text,
 * 32 windows of 256 tokens), measured by main/engine/runtime/perplexity.test.ts: int8 weights
 * cost +0.0–0.1 %, int4 weights about +0.3 % (the recipe of main/engine/builder/quant-recipe.ts,
 * CPU build: NLL 3.332918 against fp32's 3.330125, so perplexity ×1.0028; llama.cpp's Q4_K_M: +0.3 %). Used where a model has no
 * measurement of its own (one is taken on request: main/services/quality-measurements.ts); larger
 * models usually lose less.
 */
export const TYPICAL_INT8_PERPLEXITY_INCREASE = 0.001;
export const TYPICAL_INT4_PERPLEXITY_INCREASE = 0.003;
const TYPICAL_SOURCE = 'shakespeare-5m';

/** Best quality first. fp32 runs on the CPU only; fp16 on the CPU works but is slow, so it is never the CPU pick. */
const PRECISION_ORDER: readonly Precision[] = ['fp32', 'fp16', 'int8', 'int4'];
const GPU_PRECISIONS: readonly Precision[] = ['fp16', 'int8', 'int4'];
const CPU_PICKS: readonly Precision[] = ['fp32', 'int8', 'int4'];

export interface PrecisionPlanOptions {
  /** Perplexity increases measured on this model (fractions: 0.004 = +0.4 %), which replace the typical figures. */
  perplexityIncrease?: Partial<Record<Precision, number>>;
  /** Fraction of each budget kept free; PLAN_HEADROOM when absent. */
  headroom?: number;
  /** Passed to planMemory, e.g. workspace constants the benchmark measured. */
  memory?: MemoryPlanOptions;
  /**
   * A model imported from a GGUF file: its own quantization and the bytes its weights take as the
   * file stores them. The fp32 option then builds the file as downloaded (a float32 graph whose
   * quantized weights keep their ggml blocks), so it is planned with those bytes and named after
   * the file's type: decoding a quantized file to full float32 would cost 4–8× the memory for the same values.
   */
  asDownloaded?: {
    fileType: string;
    weightBytes: number;
    /**
     * The weights resident once loaded, as memory-plan.ts models them (gguf-as-downloaded-plan.ts:
     * MLAS's layout of the kept blocks, touched table pages); the stored bytes when absent.
     */
    residentWeightBytes?: number;
  };
}


const GIB = 1024 ** 3;

/** "24", "7.2": GiB with one decimal, which is how users read their VRAM. */
export function formatGb(bytes: number): string {
  return (bytes / GIB).toFixed(1).replace(/\.0$/, '');
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction * 100 < 1 ? 2 : 1).replace(/\.?0+$/, '')} %`;
}

/** What a GPU offers a model: its usable share of unified memory, its free VRAM, else its total. */
export function gpuBudgetBytes(gpu: GpuInfo): number | null {
  if (gpu.unifiedMemory && gpu.usableBytes !== null) return gpu.usableBytes;
  return gpu.vramFreeBytes ?? gpu.vramTotalBytes;
}

type GpuChoice = { usable: true; gpu: GpuInfo; budgetBytes: number } | { usable: false; reason: string };

/** The GPU to plan for (the one with the most memory to offer, so a discrete card wins over an iGPU), or why none. */
function chooseGpu(hardware: HardwareSummary): GpuChoice {
  if (hardware.gpus.length === 0) {
    const searched = hardware.searched.length ? ` (searched: ${hardware.searched.join('; ')})` : '';
    return { usable: false, reason: `no GPU found${searched}` };
  }
  if (!hardware.webgpu.available) {
    return { usable: false, reason: `the WebGPU provider failed: ${hardware.webgpu.error ?? 'no error message was given'}` };
  }
  let best: { gpu: GpuInfo; budgetBytes: number } | null = null;
  for (const gpu of hardware.gpus) {
    const budgetBytes = gpuBudgetBytes(gpu);
    if (budgetBytes !== null && (best === null || budgetBytes > best.budgetBytes)) best = { gpu, budgetBytes };
  }
  if (best === null) {
    const names = hardware.gpus.map((g) => `${g.name}${g.note ? ` (${g.note})` : ''}`).join('; ');
    return { usable: false, reason: `the GPU memory size is unknown: ${names}` };
  }
  return { usable: true, ...best };
}

function qualityOf(precision: Precision, measured: Partial<Record<Precision, number>>): PrecisionQuality {
  if (precision === 'fp32') return { perplexityIncrease: 0, basis: 'reference', measuredOn: null, note: 'full precision (the reference)' };
  const own = measured[precision];
  if (own !== undefined) {
    return { perplexityIncrease: own, basis: 'measured', measuredOn: null, note: `${own >= 0 ? '+' : ''}${percent(own)} perplexity, measured on this model` };
  }
  const typical = `typical, measured on ${TYPICAL_SOURCE}, not on this model`;
  if (precision === 'int8') {
    return { perplexityIncrease: TYPICAL_INT8_PERPLEXITY_INCREASE, basis: 'typical', measuredOn: TYPICAL_SOURCE, note: `about +0.0–0.1 % perplexity: ${typical}` };
  }
  if (precision === 'int4') {
    return { perplexityIncrease: TYPICAL_INT4_PERPLEXITY_INCREASE, basis: 'typical', measuredOn: TYPICAL_SOURCE, note: `about +${percent(TYPICAL_INT4_PERPLEXITY_INCREASE)} perplexity: ${typical}` };
  }
  return { perplexityIncrease: null, basis: 'unmeasured', measuredOn: null, note: 'not measured; half precision is usually indistinguishable from fp32' };
}

/** The file's own weights, exactly: what every other option of a GGUF model is compared with. */
const AS_DOWNLOADED_QUALITY: PrecisionQuality = {
  perplexityIncrease: 0,
  basis: 'reference',
  measuredOn: null,
  note: "the file's own weights, exactly as downloaded (the reference for this file); the other precisions quantize them again",
};

function doesNotFitInVram(gpu: GpuInfo, budgetBytes: number, precision: Precision, memoryBytes: number, headroom: number): string {
  return `the model does not fit in ${formatGb(budgetBytes)} GB of VRAM at ${precision} `
    + `(${gpu.name}: it needs ${formatGb(memoryBytes)} GB plus ${percent(headroom)} headroom)`;
}

export function planPrecisions(
  spec: ModelSpec,
  contextTokens: number,
  hardware: HardwareSummary,
  options: PrecisionPlanOptions = {},
): PrecisionPlan {
  const headroom = options.headroom ?? PLAN_HEADROOM;
  const measured = options.perplexityIncrease ?? {};
  const gpuChoice = chooseGpu(hardware);
  const ramBudgetBytes = hardware.ramFreeBytes;

  // VRAM holds the weights as stored; RAM holds what the CPU provider makes of them (memory-plan.ts).
  const planned = PRECISION_ORDER.map((precision) => {
    const cpuMemory = planMemory(spec, precision, contextTokens, { ...options.memory, device: 'cpu' });
    const gpuMemory = planMemory(spec, precision, contextTokens, { ...options.memory, device: 'gpu' });
    if (precision !== 'fp32' || !options.asDownloaded) return { precision, gpuMemory, cpuMemory };
    // As downloaded: the weights stay as the file stores them, resident as stored (MatMulNBits and
    // GatherBlockQuantized read their blocks in place); the KV cache and workspace are fp32's.
    const stored = options.asDownloaded.weightBytes;
    const resident = options.asDownloaded.residentWeightBytes ?? stored;
    const asStored = { ...cpuMemory, weightBytes: stored, residentWeightBytes: resident, totalBytes: cpuMemory.totalBytes - cpuMemory.residentWeightBytes + resident };
    return { precision, gpuMemory: asStored, cpuMemory: asStored };
  });
  const entries: PrecisionOption[] = planned.map(({ precision, gpuMemory, cpuMemory }) => {
    const onGpu = gpuChoice.usable && GPU_PRECISIONS.includes(precision) && fitsIn(gpuMemory, gpuChoice.budgetBytes, headroom);
    const onCpu = !onGpu && fitsIn(cpuMemory, ramBudgetBytes, headroom);
    const memory = onGpu ? gpuMemory : cpuMemory;
    const device: PlanDevice | null = onGpu ? 'gpu' : onCpu ? 'cpu' : null;
    let cpuReason: string | null = null;
    if (device === 'cpu') {
      if (!gpuChoice.usable) cpuReason = gpuChoice.reason;
      else if (!GPU_PRECISIONS.includes(precision)) {
        const name = precisionOptionName({ precision, asDownloaded: precision === 'fp32' ? options.asDownloaded?.fileType : null });
        cpuReason = `${name} runs on the CPU only; the GPU runs fp16, int8 or int4`;
      }
      else cpuReason = doesNotFitInVram(gpuChoice.gpu, gpuChoice.budgetBytes, precision, gpuMemory.totalBytes, headroom);
    }
    return {
      precision,
      weightBytes: memory.weightBytes,
      memoryBytes: memory.totalBytes,
      fit: onGpu ? 'fits-gpu' : onCpu ? 'fits-ram-cpu' : 'does-not-fit',
      device,
      cpuReason,
      quality: precision === 'fp32' && options.asDownloaded ? AS_DOWNLOADED_QUALITY : qualityOf(precision, measured),
      note: device === 'cpu' && precision === 'fp16' ? 'slow on the CPU: fp32 or int8 run faster there' : null,
      asDownloaded: precision === 'fp32' && options.asDownloaded ? options.asDownloaded.fileType : null,
    };
  });

  const byPrecision = (p: Precision) => entries.find((o) => o.precision === p)!;
  const gpuPick = GPU_PRECISIONS.map(byPrecision).find((o) => o.device === 'gpu');
  const cpuPick = gpuPick ? undefined : CPU_PICKS.map(byPrecision).find((o) => o.device === 'cpu');
  const pick = gpuPick ?? cpuPick;

  // Usually int4, but a large float32 embedding table can make another precision the smallest.
  const smallestOf = (list: PrecisionOption[]) => list.reduce((a, b) => (b.memoryBytes < a.memoryBytes ? b : a));
  const smallest = smallestOf(entries);
  const smallestOnGpu = planned
    .filter(({ precision }) => GPU_PRECISIONS.includes(precision))
    .reduce((a, b) => (b.gpuMemory.totalBytes < a.gpuMemory.totalBytes ? b : a));
  // Why the CPU: the GPU could not be used at all, or not even its smallest precision fits in it.
  const whyNotGpu = !gpuChoice.usable
    ? gpuChoice.reason
    : doesNotFitInVram(gpuChoice.gpu, gpuChoice.budgetBytes, smallestOnGpu.precision, smallestOnGpu.gpuMemory.totalBytes, headroom);

  let message: string;
  if (gpuPick && gpuChoice.usable) {
    message = `${precisionOptionName(gpuPick)} on the GPU (${gpuChoice.gpu.name}): ${formatGb(gpuPick.memoryBytes)} GB of ${formatGb(gpuChoice.budgetBytes)} GB`;
  } else if (cpuPick) {
    message = `${precisionOptionName(cpuPick)} on the CPU: ${formatGb(cpuPick.memoryBytes)} GB of ${formatGb(ramBudgetBytes)} GB of free RAM. Not on the GPU because ${whyNotGpu}`;
  } else {
    const vram = gpuChoice.usable ? ` or the ${formatGb(gpuChoice.budgetBytes)} GB of VRAM on ${gpuChoice.gpu.name}` : '';
    message = `Nothing fits: even ${precisionOptionName(smallest)} needs ${formatGb(smallest.memoryBytes)} GB plus ${percent(headroom)} headroom at ${contextTokens} tokens of context, `
      + `more than the ${formatGb(ramBudgetBytes)} GB of free RAM${vram}. Choose a shorter context or a smaller model, or close other programs.`;
  }

  return {
    contextTokens,
    headroom,
    gpu: gpuChoice.usable ? { name: gpuChoice.gpu.name, budgetBytes: gpuChoice.budgetBytes } : null,
    ramBudgetBytes,
    options: entries,
    recommended: pick ? { precision: pick.precision, device: pick.device! } : null,
    cpuReason: cpuPick ? whyNotGpu : null,
    message,
  };
}
