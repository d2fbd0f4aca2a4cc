// The model library: imported (and bundled) models, and the variants built from each one at a
// precision and attention mode.
import { randomUUID } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { AttentionMode, Precision } from '../common/model-manifest.ts';
import type { StoreDatabase } from './database.ts';
import { fromJsonColumn, toJsonColumn } from './json-column.ts';
import { withoutUndefined } from './record-patch.ts';

export interface ModelRecord {
  id: string;
  name: string;
  architecture: string;
  /** The Hugging Face folder the model was imported from, or its GGUF file (see `gguf`). */
  sourceDir: string;
  parameters: number;
  contextLength: number;
  sizeBytes: number;
  /** The model's spec as JSON (the caller validates it, e.g. with ModelSpecSchema). */
  spec: unknown;
  isBundled: boolean;
  /** Set when sourceDir is a GGUF file; null for a Hugging Face folder. */
  gguf: GgufSourceRecord | null;
  createdAt: number;
}

/** What the library knows of a model's GGUF file. */
export interface GgufSourceRecord {
  /** The file's own quantization as llama.cpp names it: "Q4_K_M", "Q8_0", "F32". */
  fileType: string;
  /** Bytes the weights take as stored in the file (its tensor table's sizes). */
  weightBytes: number;
  /** Whether Hearth copied the file into its data directory (deleted with the model), or reads it where the user keeps it. */
  copied: boolean;
}

/** A model without `gguf` is a Hugging Face folder. */
export type ModelInput = Omit<ModelRecord, 'createdAt' | 'gguf'> & { gguf?: GgufSourceRecord | null };

export type VariantStatus = 'building' | 'ready' | 'failed';

export interface ModelVariantRecord {
  id: string;
  modelId: string;
  precision: Precision;
  attention: AttentionMode;
  /** The folder holding the built model.onnx. */
  dir: string;
  /** Null until the build has written its weights. */
  weightBytes: number | null;
  status: VariantStatus;
  error: string | null;
  /** The peak memory measured at the last load, to show beside the estimate. */
  measuredPeakBytes: number | null;
  /** Perplexity on the quality text `qualityText`, measured on request; null until then, and again after a rebuild. */
  qualityPerplexity: number | null;
  /** Which quality text (file name and hash) qualityPerplexity was measured on. */
  qualityText: string | null;
  createdAt: number;
}

export interface ModelVariantInput {
  id?: string;
  modelId: string;
  precision: Precision;
  attention: AttentionMode;
  dir: string;
  status: VariantStatus;
  weightBytes?: number | null;
  error?: string | null;
  measuredPeakBytes?: number | null;
  qualityPerplexity?: number | null;
  qualityText?: string | null;
}

/** Fields to change; a field left out keeps its value, null clears it. */
export interface ModelVariantPatch {
  dir?: string;
  status?: VariantStatus;
  weightBytes?: number | null;
  error?: string | null;
  measuredPeakBytes?: number | null;
  qualityPerplexity?: number | null;
  qualityText?: string | null;
}

interface ModelRow {
  id: string;
  name: string;
  architecture: string;
  source_dir: string;
  parameters: number;
  context_length: number;
  size_bytes: number;
  spec_json: string;
  is_bundled: number;
  gguf_json: string | null;
  created_at: number;
}

interface ModelVariantRow {
  id: string;
  model_id: string;
  precision: string;
  attention: string;
  dir: string;
  weight_bytes: number | null;
  status: VariantStatus;
  error: string | null;
  measured_peak_bytes: number | null;
  quality_perplexity: number | null;
  quality_text: string | null;
  created_at: number;
}

function modelFromRow(row: ModelRow): ModelRecord {
  return {
    id: row.id,
    name: row.name,
    architecture: row.architecture,
    sourceDir: row.source_dir,
    parameters: row.parameters,
    contextLength: row.context_length,
    sizeBytes: row.size_bytes,
    spec: fromJsonColumn(row.spec_json, `models.spec_json of model ${row.id}`),
    isBundled: row.is_bundled === 1,
    // Written only through ModelInput, so the JSON has GgufSourceRecord's fields.
    gguf: row.gguf_json === null ? null : (fromJsonColumn(row.gguf_json, `models.gguf_json of model ${row.id}`) as GgufSourceRecord),
    createdAt: row.created_at,
  };
}

function variantFromRow(row: ModelVariantRow): ModelVariantRecord {
  return {
    id: row.id,
    modelId: row.model_id,
    // Written only through ModelVariantInput, so the text is one of the union's members.
    precision: row.precision as Precision,
    attention: row.attention as AttentionMode,
    dir: row.dir,
    weightBytes: row.weight_bytes,
    status: row.status,
    error: row.error,
    measuredPeakBytes: row.measured_peak_bytes,
    qualityPerplexity: row.quality_perplexity,
    qualityText: row.quality_text,
    createdAt: row.created_at,
  };
}

export class ModelsRepository {
  private readonly db: StoreDatabase;
  private readonly upsertModel: BetterSqlite3.Statement;
  private readonly selectModel: BetterSqlite3.Statement<[string], ModelRow>;
  private readonly selectModels: BetterSqlite3.Statement<[], ModelRow>;
  private readonly deleteModel: BetterSqlite3.Statement<[string]>;
  private readonly upsertVariantRow: BetterSqlite3.Statement;
  private readonly selectVariant: BetterSqlite3.Statement<[string], ModelVariantRow>;
  private readonly selectVariantByKey: BetterSqlite3.Statement<[string, string, string], ModelVariantRow>;
  private readonly selectVariants: BetterSqlite3.Statement<[string], ModelVariantRow>;
  private readonly updateVariantRow: BetterSqlite3.Statement;
  private readonly deleteVariantRow: BetterSqlite3.Statement<[string]>;

  constructor(db: StoreDatabase) {
    this.db = db;
    const c = db.connection;
    this.upsertModel = c.prepare(`
      INSERT INTO models (id, name, architecture, source_dir, parameters, context_length, size_bytes, spec_json, is_bundled, gguf_json, created_at)
      VALUES (@id, @name, @architecture, @source_dir, @parameters, @context_length, @size_bytes, @spec_json, @is_bundled, @gguf_json, @created_at)
      ON CONFLICT (id) DO UPDATE SET
        name = excluded.name, architecture = excluded.architecture, source_dir = excluded.source_dir,
        parameters = excluded.parameters, context_length = excluded.context_length, size_bytes = excluded.size_bytes,
        spec_json = excluded.spec_json, is_bundled = excluded.is_bundled, gguf_json = excluded.gguf_json`);
    this.selectModel = c.prepare('SELECT * FROM models WHERE id = ?');
    // The bundled demo model first, then by name.
    this.selectModels = c.prepare('SELECT * FROM models ORDER BY is_bundled DESC, name COLLATE NOCASE, id');
    this.deleteModel = c.prepare('DELETE FROM models WHERE id = ?');
    this.upsertVariantRow = c.prepare(`
      INSERT INTO model_variants (id, model_id, precision, attention, dir, weight_bytes, status, error, measured_peak_bytes, quality_perplexity, quality_text, created_at)
      VALUES (@id, @model_id, @precision, @attention, @dir, @weight_bytes, @status, @error, @measured_peak_bytes, @quality_perplexity, @quality_text, @created_at)
      ON CONFLICT (model_id, precision, attention) DO UPDATE SET
        dir = excluded.dir, weight_bytes = excluded.weight_bytes, status = excluded.status,
        error = excluded.error, measured_peak_bytes = excluded.measured_peak_bytes,
        quality_perplexity = excluded.quality_perplexity, quality_text = excluded.quality_text`);
    this.selectVariant = c.prepare('SELECT * FROM model_variants WHERE id = ?');
    this.selectVariantByKey = c.prepare('SELECT * FROM model_variants WHERE model_id = ? AND precision = ? AND attention = ?');
    this.selectVariants = c.prepare('SELECT * FROM model_variants WHERE model_id = ? ORDER BY created_at, precision, attention');
    this.updateVariantRow = c.prepare(`
      UPDATE model_variants SET dir = @dir, weight_bytes = @weight_bytes, status = @status, error = @error,
        measured_peak_bytes = @measured_peak_bytes, quality_perplexity = @quality_perplexity, quality_text = @quality_text WHERE id = @id`);
    this.deleteVariantRow = c.prepare('DELETE FROM model_variants WHERE id = ?');
  }

  /** Adds a model, or updates every field but createdAt of the model with the same id. */
  upsert(model: ModelInput): ModelRecord {
    return this.db.transaction(() => {
      this.upsertModel.run({
        id: model.id,
        name: model.name,
        architecture: model.architecture,
        source_dir: model.sourceDir,
        parameters: model.parameters,
        context_length: model.contextLength,
        size_bytes: model.sizeBytes,
        spec_json: toJsonColumn(model.spec),
        is_bundled: model.isBundled ? 1 : 0,
        gguf_json: model.gguf ? toJsonColumn(model.gguf) : null,
        created_at: this.db.now(),
      });
      return this.get(model.id)!;
    });
  }

  get(id: string): ModelRecord | undefined {
    const row = this.selectModel.get(id);
    return row && modelFromRow(row);
  }

  /** Bundled models first, then by name. */
  list(): ModelRecord[] {
    return this.selectModels.all().map(modelFromRow);
  }

  /** Deletes the model and its variants; its conversations keep going without a model. Files on disk are the caller's. */
  delete(id: string): boolean {
    return this.deleteModel.run(id).changes > 0;
  }

  /**
   * Records a variant, or updates the one with the same model, precision and attention (it
   * keeps its id and createdAt): a rebuild after a failure reuses the row, and the measurements
   * left out of `variant` are cleared (they belonged to the old build).
   */
  upsertVariant(variant: ModelVariantInput): ModelVariantRecord {
    return this.db.transaction(() => {
      this.upsertVariantRow.run({
        id: variant.id ?? randomUUID(),
        model_id: variant.modelId,
        precision: variant.precision,
        attention: variant.attention,
        dir: variant.dir,
        weight_bytes: variant.weightBytes ?? null,
        status: variant.status,
        error: variant.error ?? null,
        measured_peak_bytes: variant.measuredPeakBytes ?? null,
        quality_perplexity: variant.qualityPerplexity ?? null,
        quality_text: variant.qualityText ?? null,
        created_at: this.db.now(),
      });
      return this.findVariant(variant.modelId, variant.precision, variant.attention)!;
    });
  }

  getVariant(id: string): ModelVariantRecord | undefined {
    const row = this.selectVariant.get(id);
    return row && variantFromRow(row);
  }

  findVariant(modelId: string, precision: Precision, attention: AttentionMode): ModelVariantRecord | undefined {
    const row = this.selectVariantByKey.get(modelId, precision, attention);
    return row && variantFromRow(row);
  }

  /** A model's variants, oldest first. */
  listVariants(modelId: string): ModelVariantRecord[] {
    return this.selectVariants.all(modelId).map(variantFromRow);
  }

  /** Changes the given fields; undefined when there is no such variant. */
  updateVariant(id: string, patch: ModelVariantPatch): ModelVariantRecord | undefined {
    return this.db.transaction(() => {
      const current = this.getVariant(id);
      if (!current) return undefined;
      const next = { ...current, ...withoutUndefined(patch) };
      this.updateVariantRow.run({
        id,
        dir: next.dir,
        weight_bytes: next.weightBytes,
        status: next.status,
        error: next.error,
        measured_peak_bytes: next.measuredPeakBytes,
        quality_perplexity: next.qualityPerplexity,
        quality_text: next.qualityText,
      });
      return this.getVariant(id);
    });
  }

  deleteVariant(id: string): boolean {
    return this.deleteVariantRow.run(id).changes > 0;
  }
}

