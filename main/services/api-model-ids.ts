// The model ids the OpenAI-compatible API answers to: a library model's id or its name (what
// clients show), alone (the precision the plan recommends, as a new chat gets) or with a
// precision after '@' ("shakespeare-5m@int4"), which is built first if it is not built yet. A
// model imported from a GGUF file is built as downloaded in its fp32 slot, so it is listed by its
// own type instead ("name@q4_k_m"); "@fp32" still names that build.
// GET /v1/models lists every name and name@precision.
import { ApiError } from '../common/contracts/api-error.ts';
import { PRECISIONS, type Precision } from '../common/model-manifest.ts';
import type { ModelRecord } from '../store/models-repository.ts';
import type { Store } from '../store/store.ts';

export interface ApiModelEntry {
  id: string;
  /** Unix seconds: when the model joined the library. */
  created: number;
}

export interface ResolvedApiModel {
  modelId: string;
  /** Null: the plan's recommendation. */
  precision: Precision | null;
}

export function listApiModels(store: Store): ApiModelEntry[] {
  const entries: ApiModelEntry[] = [];
  for (const model of store.models.list()) {
    const created = Math.floor(model.createdAt / 1000);
    entries.push({ id: model.name, created });
    for (const precision of PRECISIONS) entries.push({ id: `${model.name}@${precisionSuffix(model, precision)}`, created });
  }
  return entries;
}

/** The library model and precision an API model id names; ApiError 'not-found' naming what exists otherwise. */
export function resolveApiModel(store: Store, requested: string): ResolvedApiModel {
  const models = store.models.list();
  const whole = findModel(models, requested);
  if (whole) return { modelId: whole.id, precision: null };
  const at = requested.lastIndexOf('@');
  if (at > 0) {
    const precision = requested.slice(at + 1).toLowerCase();
    const model = findModel(models, requested.slice(0, at));
    if (model && isPrecision(precision)) return { modelId: model.id, precision };
    if (model?.gguf && precision === model.gguf.fileType.toLowerCase()) return { modelId: model.id, precision: 'fp32' };
    if (model) throw new ApiError('not-found', `The model '${requested}' does not exist: '${precision}' is not a precision Hearth builds (${PRECISIONS.join(', ')}).`);
  }
  const names = models.map((m) => m.name).join(', ') || 'none yet: import one in Hearth';
  throw new ApiError('not-found', `The model '${requested}' does not exist in Hearth's library (models: ${names}); GET /v1/models lists the ids.`);
}

/** What follows '@' in a listed id: the precision, or a GGUF model's own type for its as-downloaded build. */
function precisionSuffix(model: ModelRecord, precision: Precision): string {
  return model.gguf && precision === 'fp32' ? model.gguf.fileType.toLowerCase() : precision;
}

/** By id, then by exact name, then by name ignoring case when only one model matches that way. */
function findModel(models: readonly ModelRecord[], text: string): ModelRecord | undefined {
  const exact = models.find((m) => m.id === text) ?? models.find((m) => m.name === text);
  if (exact) return exact;
  const folded = models.filter((m) => m.name.toLowerCase() === text.toLowerCase());
  return folded.length === 1 ? folded[0] : undefined;
}

function isPrecision(text: string): text is Precision {
  return (PRECISIONS as readonly string[]).includes(text);
}
