// Getting a model ready to answer, the one path the app's chat and the /v1 API share: plan the
// precision (the conversation's or the request's, else the plan's recommendation) and the device,
// build the variant if it is not built yet (or the model with an adapter folded in), and load it
// in the inference worker unless it is loaded already, recording the memory it took. The reply
// holds the engine's ReplyGate for its variant from before the build until it calls release():
// replies with the same variant run at once, one that needs another waits for them to end.
import { ApiError } from '../common/contracts/api-error.ts';
import type { Precision } from '../common/model-manifest.ts';
import type { Store } from '../store/store.ts';
import { requireAdapter } from './adapter-records.ts';
import type { EngineHost, LoadOutcome } from './engine-host.ts';
import type { EventBus } from './event-bus.ts';
import type { HardwareService } from './hardware-service.ts';
import type { VariantBuilds } from './variant-builds.ts';

export interface ModelLoaderDependencies {
  store: Store;
  bus: EventBus;
  engine: EngineHost;
  builds: VariantBuilds;
  hardware: HardwareService;
}

export interface ModelToLoad {
  modelId: string;
  /** Null: the plan's recommendation for this context (int8 when it has none). */
  precision: Precision | null;
  contextLength: number;
  /** A LoRA adapter to fold in, or null for the model alone. */
  adapterId: string | null;
  /** Checked between the slow steps: true stops before loading. */
  cancelled?: () => boolean;
  /** Stops the wait for replies with another variant to end (the reply was stopped, or its client left). */
  signal?: AbortSignal;
}

export interface ReadyModel {
  precision: Precision;
  outcome: LoadOutcome;
  /** Ends the reply's hold on the variant; call it once the generation has ended. */
  release: () => void;
}

/** The loaded model, or null when `cancelled` said stop before it was loaded (nothing held then). */
export async function loadModelForReply(dependencies: ModelLoaderDependencies, request: ModelToLoad): Promise<ReadyModel | null> {
  const { store, bus, engine, builds, hardware } = dependencies;
  const { plan } = await hardware.plan(request.modelId, request.contextLength);
  const precision: Precision = request.precision ?? plan.recommended?.precision ?? 'int8';
  const option = plan.options.find((o) => o.precision === precision);
  const device = option?.device === 'gpu' ? 'gpu' : 'cpu';
  const cpuReason = device === 'gpu' ? null : (option?.cpuReason ?? plan.cpuReason ?? `the plan finds no room for ${precision} at this context length; trying it on the CPU anyway`);

  // With an adapter: the model built with it folded in (same precision and speed as the model alone).
  const adapter = request.adapterId ? requireAdapter(store, request.adapterId) : null;
  if (adapter && adapter.baseModelId !== request.modelId) throw new ApiError('invalid-input', `The adapter ${adapter.name} was made for another model; choose its model or no adapter.`);
  const release = await engine.replies.acquire({ modelId: request.modelId, precision, adapterId: request.adapterId }, request.signal);
  try {
    const variant = adapter ? null : await builds.ensure(request.modelId, precision);
    const dir = adapter ? await builds.ensureAdapted(adapter, precision) : variant!.dir;
    if (request.cancelled?.()) {
      release();
      return null;
    }
    const outcome = await engine.load({ modelId: request.modelId, precision, dir, device, cpuReason, estimatedBytes: option?.memoryBytes ?? null });
    if (outcome.loadedNow && variant) {
      store.models.updateVariant(variant.id, { measuredPeakBytes: outcome.memoryBytes });
      bus.emit({ type: 'library.changed' });
    }
    return { precision, outcome, release };
  } catch (error) {
    release();
    throw error;
  }
}
