// "Measure quality" (the 'models.measureQuality' method): a model's own quantization cost, measured
// on request instead of the typical figure of another model. A precision's build and the fp32
// build are each scored on the quality text that ships with Hearth (resources/quality/), in the
// inference worker on the CPU (where fp32 runs), and the perplexities are kept on the variants'
// rows: measured once per build (a rebuild clears them), so asking again costs nothing. The plan
// (HardwareService) then shows the variant's perplexity over fp32's as "measured on this model".
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ApiError } from '../common/contracts/api-error.ts';
import type { ModelPlan } from '../common/contracts/models.ts';
import type { Precision } from '../common/model-manifest.ts';
import type { Store } from '../store/store.ts';
import type { EngineHost } from './engine-host.ts';
import type { EventBus } from './event-bus.ts';
import type { HardwareService } from './hardware-service.ts';
import { requireModel } from './model-records.ts';
import type { VariantBuilds } from './variant-builds.ts';

/** The quality text, under the resources folder (the repo's resources/, or the packaged app's). */
export const QUALITY_TEXT_FILE = join('quality', 'declaration-of-independence.txt');

export interface QualityText {
  /** The file's name and the hash of its contents: measurements on different texts are never compared. */
  id: string;
  text: string;
}

export async function readQualityText(resourcesDir: string): Promise<QualityText> {
  const path = join(resourcesDir, QUALITY_TEXT_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ApiError('internal', `The quality text ${path} cannot be read (${error instanceof Error ? error.message : String(error)}); reinstall Hearth to restore it.`);
  }
  return { id: `${basename(path)}:${createHash('sha256').update(text).digest('hex').slice(0, 16)}`, text };
}

export interface QualityMeasurementsDeps {
  store: Store;
  bus: EventBus;
  builds: Pick<VariantBuilds, 'ensure'>;
  engine: Pick<EngineHost, 'measurePerplexity' | 'status'>;
  hardware: Pick<HardwareService, 'plan'>;
  resourcesDir: string;
}

export class QualityMeasurements {
  private readonly deps: QualityMeasurementsDeps;
  /** Measurements in progress by `${modelId}/${precision}`: a second request joins the first. */
  private readonly running = new Map<string, Promise<void>>();

  constructor(deps: QualityMeasurementsDeps) {
    this.deps = deps;
  }

  /** Measures the precision's cost against fp32 (building either when needed) and answers the model's plan with it. */
  async measure(modelId: string, precision: Precision, contextTokens?: number): Promise<ModelPlan> {
    requireModel(this.deps.store, modelId);
    const key = `${modelId}/${precision}`;
    let run = this.running.get(key);
    if (!run) {
      run = this.measureBoth(modelId, precision).finally(() => this.running.delete(key));
      this.running.set(key, run);
    }
    await run;
    return this.deps.hardware.plan(modelId, contextTokens);
  }

  private async measureBoth(modelId: string, precision: Precision): Promise<void> {
    if (precision === 'fp32') return; // the reference itself: its cost is 0 by definition
    const { engine, hardware, store, builds, bus } = this.deps;
    const worker = engine.status();
    if (worker.state === 'busy') {
      throw new ApiError('busy', `The model process is busy (${worker.message ?? 'writing a reply'}); measure the quality when it is done.`);
    }
    // Any context will do: fp32 fits the machine or not by its weights, and the text is scored in 128-token windows.
    const fp32 = (await hardware.plan(modelId, 512)).plan.options.find((option) => option.precision === 'fp32');
    if (fp32?.fit === 'does-not-fit') {
      throw new ApiError(
        'invalid-input',
        `Measuring the quality of ${precision} compares it with the fp32 build, which does not fit in this machine's free memory; the typical figure stays.`,
      );
    }
    const text = await readQualityText(this.deps.resourcesDir);
    for (const measured of ['fp32', precision] as const) {
      const variant = await builds.ensure(modelId, measured);
      if (variant.qualityText === text.id && variant.qualityPerplexity !== null) continue;
      const result = await engine.measurePerplexity(
        { modelId, precision: measured, dir: variant.dir, device: 'cpu', cpuReason: 'quality is measured on the CPU, where fp32 runs', estimatedBytes: null },
        text.text,
      );
      store.models.updateVariant(variant.id, { qualityPerplexity: result.perplexity, qualityText: text.id });
    }
    bus.emit({ type: 'library.changed' });
  }
}
