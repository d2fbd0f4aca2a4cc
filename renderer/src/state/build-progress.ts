// Variant builds in flight, from `model.build` events, keyed by model and precision so the
// Quantization dropdown can show the progress of exactly the variant it is waiting for.
import type { Precision } from '../../../main/common/model-manifest.ts';
import type { ApiErrorData } from '../../../main/common/contracts/api-error.ts';
import type { ApiEvent } from '../../../main/common/contracts/events.ts';
import type { ModelSummary } from '../../../main/common/contracts/models.ts';

export interface BuildProgress {
  state: 'building' | 'ready' | 'failed' | 'cancelled';
  done: number;
  total: number;
  label: string;
  error: ApiErrorData | null;
  /** What the build worker has written so far, and the planner's figure for the whole (null when not told). */
  bytesWritten: number | null;
  expectedBytes: number | null;
  /** Milliseconds left, as the build worker estimates them (null until it can tell). */
  etaMs: number | null;
}

/** Before the first event, and once a build has ended: nothing written, nothing left to tell. */
const NO_BYTES = { bytesWritten: null, expectedBytes: null, etaMs: null } as const;

export type BuildMap = Readonly<Record<string, BuildProgress>>;

export function buildKey(modelId: string, precision: Precision): string {
  return `${modelId}/${precision}`;
}

export function applyBuildEvent(builds: BuildMap, event: ApiEvent): BuildMap {
  if (event.type !== 'model.build') return builds;
  const { state, done, total, label, error } = event;
  const bytes = { bytesWritten: event.bytesWritten ?? null, expectedBytes: event.expectedBytes ?? null, etaMs: event.etaMs ?? null };
  return { ...builds, [buildKey(event.modelId, event.precision)]: { state, done, total, label, error, ...bytes } };
}

/** Marks a build as asked for, before its first event arrives, so the UI waits from the click on. */
export function markBuildRequested(builds: BuildMap, modelId: string, precision: Precision): BuildMap {
  const key = buildKey(modelId, precision);
  if (builds[key]?.state === 'building') return builds;
  return { ...builds, [key]: { state: 'building', done: 0, total: 0, label: 'starting the build', error: null, ...NO_BYTES } };
}

/**
 * 0..1, or null while the total is unknown. The bytes written against the planner's figure move
 * within a step (one step is a whole layer); the steps bound them (the figure is an estimate).
 */
export function buildFraction(progress: BuildProgress): number | null {
  if (progress.total <= 0) return null;
  const byStep = Math.min(1, progress.done / progress.total);
  if (byStep >= 1 || progress.bytesWritten === null || progress.expectedBytes === null) return byStep;
  return Math.min(0.99, Math.max(byStep, progress.bytesWritten / progress.expectedBytes));
}

export function markBuildFailed(builds: BuildMap, modelId: string, precision: Precision, error: ApiErrorData): BuildMap {
  return { ...builds, [buildKey(modelId, precision)]: { state: 'failed', done: 0, total: 0, label: 'failed', error, ...NO_BYTES } };
}

/**
 * Settles builds the library already reports as finished: a build that ended before its events
 * reached this window (or one that needed no work) must not leave the UI waiting forever.
 */
export function settleFromLibrary(builds: BuildMap, models: readonly ModelSummary[]): BuildMap {
  let next = builds;
  for (const model of models) {
    for (const variant of model.variants) {
      const key = buildKey(model.id, variant.precision);
      const progress = next[key];
      if (!progress || progress.state !== 'building' || variant.status === 'building') continue;
      const error = variant.status === 'failed' ? { code: 'model-build-failed' as const, message: variant.error ?? 'The build failed.' } : null;
      next = { ...next, [key]: { ...progress, state: variant.status, label: variant.status, error, ...NO_BYTES } };
    }
  }
  return next;
}

/** The library's state of a model's variant at a precision: 'missing' when it was never built. */
export function variantStatus(model: ModelSummary | undefined, precision: Precision): 'missing' | 'building' | 'ready' | 'failed' {
  const variants = model?.variants.filter((v) => v.precision === precision) ?? [];
  if (variants.some((v) => v.status === 'ready')) return 'ready';
  if (variants.some((v) => v.status === 'building')) return 'building';
  if (variants.some((v) => v.status === 'failed')) return 'failed';
  return 'missing';
}
