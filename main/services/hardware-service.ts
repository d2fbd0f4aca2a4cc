// The machine as detected once (GPUs, VRAM, CPU, RAM, whether WebGPU starts) and the precision
// plan of a model on it: every precision with its size, fit badge and quality note, and the pick.
// Detection runs once per app start and is cached: it spawns nvidia-smi and starts a WebGPU
// session, which is too slow to repeat for every plan.
import { DEFAULT_CHAT_PARAMS } from '../common/contracts/chat.ts';
import type { ModelPlan } from '../common/contracts/models.ts';
import type { HardwareSummary } from '../common/hardware-contract.ts';
import { planGgufAsDownloaded } from '../engine/gguf/gguf-as-downloaded-plan.ts';
import { planPrecisions } from '../engine/memory-plan/precision-plan.ts';
import type { Store } from '../store/store.ts';
import { measuredPerplexityIncrease } from './measured-perplexity-increase.ts';
import { VARIANT_ATTENTION } from './model-paths.ts';
import { requireModel, specOf } from './model-records.ts';

export type DetectHardware = () => Promise<HardwareSummary>;

export class HardwareService {
  private readonly store: Store;
  private readonly detect: DetectHardware;
  private detected: Promise<HardwareSummary> | null = null;

  constructor(store: Store, detect: DetectHardware) {
    this.store = store;
    this.detect = detect;
  }

  get(): Promise<HardwareSummary> {
    this.detected ??= this.detect().catch((error: unknown) => {
      this.detected = null; // a failure is not cached: the next call looks again
      throw error;
    });
    return this.detected;
  }

  /**
   * The plan for a model at a context length (default: the chat default), clamped to what the
   * model was trained for: a longer context can never be used, so planning for it would mislead.
   */
  async plan(modelId: string, contextTokens: number = DEFAULT_CHAT_PARAMS.contextLength): Promise<ModelPlan> {
    const model = requireModel(this.store, modelId);
    const spec = specOf(model);
    const context = Math.max(1, Math.min(contextTokens, spec.contextLength));
    // A precision measured on this model (models.measureQuality) shows its own cost, not the typical one.
    const perplexityIncrease = measuredPerplexityIncrease(this.store.models.listVariants(modelId));
    // A GGUF model's fp32 option is the file as downloaded: its build's weights planned from the
    // file's tensor table (gguf-as-downloaded-plan.ts: MatMulNBits' layout holds more than the file,
    // 8-bit slots for 5- and 6-bit levels, scales and block offsets), as built once built; the
    // recorded bytes where the file cannot be read now.
    const built = model.gguf ? this.store.models.findVariant(modelId, 'fp32', VARIANT_ATTENTION) : undefined;
    const builtBytes = built?.status === 'ready' && built.weightBytes !== null ? built.weightBytes : undefined;
    const planned = model.gguf ? await planGgufAsDownloaded(model.sourceDir, context).catch(() => null) : null;
    const weightBytes = builtBytes ?? planned?.weightBytes ?? model.gguf?.weightBytes;
    const asDownloaded =
      model.gguf && weightBytes !== undefined ? { fileType: model.gguf.fileType, weightBytes, residentWeightBytes: planned?.residentWeightBytes } : undefined;
    return { modelId, plan: planPrecisions(spec, context, await this.get(), { perplexityIncrease, asDownloaded }) };
  }
}
