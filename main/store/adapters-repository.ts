// LoRA adapters: trained by a fine-tune job, or imported from a folder PEFT wrote. Each belongs
// to the model it was trained on and goes when that model is deleted.
import { randomUUID } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { StoreDatabase } from './database.ts';

export type AdapterSource = 'trained' | 'imported';

export interface AdapterRecord {
  id: string;
  baseModelId: string;
  name: string;
  /** The folder holding adapter_config.json and adapter_model.safetensors. */
  dir: string;
  source: AdapterSource;
  /** The job that trained it, while that job is kept. */
  jobId: string | null;
  r: number;
  alpha: number;
  createdAt: number;
}

export type NewAdapter = Omit<AdapterRecord, 'id' | 'createdAt' | 'jobId'> & { id?: string; jobId?: string | null };

interface AdapterRow {
  id: string;
  base_model_id: string;
  name: string;
  dir: string;
  source: AdapterSource;
  job_id: string | null;
  r: number;
  alpha: number;
  created_at: number;
}

function adapterFromRow(row: AdapterRow): AdapterRecord {
  return {
    id: row.id,
    baseModelId: row.base_model_id,
    name: row.name,
    dir: row.dir,
    source: row.source,
    jobId: row.job_id,
    r: row.r,
    alpha: row.alpha,
    createdAt: row.created_at,
  };
}

export class AdaptersRepository {
  private readonly db: StoreDatabase;
  private readonly insertAdapter: BetterSqlite3.Statement;
  private readonly selectAdapter: BetterSqlite3.Statement<[string], AdapterRow>;
  private readonly selectAdapters: BetterSqlite3.Statement<[], AdapterRow>;
  private readonly selectByJob: BetterSqlite3.Statement<[string], AdapterRow>;
  private readonly deleteAdapter: BetterSqlite3.Statement<[string]>;

  constructor(db: StoreDatabase) {
    this.db = db;
    const c = db.connection;
    this.insertAdapter = c.prepare(`
      INSERT INTO adapters (id, base_model_id, name, dir, source, job_id, r, alpha, created_at)
      VALUES (@id, @base_model_id, @name, @dir, @source, @job_id, @r, @alpha, @now)`);
    this.selectAdapter = c.prepare('SELECT * FROM adapters WHERE id = ?');
    this.selectAdapters = c.prepare('SELECT * FROM adapters ORDER BY created_at DESC, rowid DESC');
    this.selectByJob = c.prepare('SELECT * FROM adapters WHERE job_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1');
    this.deleteAdapter = c.prepare('DELETE FROM adapters WHERE id = ?');
  }

  create(adapter: NewAdapter): AdapterRecord {
    const id = adapter.id ?? randomUUID();
    this.insertAdapter.run({
      id,
      base_model_id: adapter.baseModelId,
      name: adapter.name,
      dir: adapter.dir,
      source: adapter.source,
      job_id: adapter.jobId ?? null,
      r: adapter.r,
      alpha: adapter.alpha,
      now: this.db.now(),
    });
    return this.get(id)!;
  }

  get(id: string): AdapterRecord | undefined {
    const row = this.selectAdapter.get(id);
    return row && adapterFromRow(row);
  }

  /** Most recent first. */
  list(): AdapterRecord[] {
    return this.selectAdapters.all().map(adapterFromRow);
  }

  /** The adapter a job produced, if it still exists. */
  forJob(jobId: string): AdapterRecord | undefined {
    const row = this.selectByJob.get(jobId);
    return row && adapterFromRow(row);
  }

  /** Deletes the row; conversations that used it go back to the model alone. Files are the caller's. */
  delete(id: string): boolean {
    return this.deleteAdapter.run(id).changes > 0;
  }
}
