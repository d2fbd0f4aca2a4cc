// Downloads from the Hugging Face Hub, kept as jobs of kind 'download' in the jobs table the
// fine-tunes use (migration 'download jobs beside fine-tune jobs'): the repo, revision, file and
// pinned commit in config_json, the folder in output_dir, the bytes fetched and to fetch in
// step/total_steps. What is fetched lives in the .part files and their sidecars, so a download
// recorded here resumes after any restart.
import { randomUUID } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { StoreDatabase } from './database.ts';
import { fromJsonObjectColumn, toJsonColumn } from './json-column.ts';

/** 'importing' is not stored: a download being imported is 'running' until it is in the library. */
export type DownloadRecordState = 'running' | 'paused' | 'completed' | 'failed' | 'cancelled';

const FINAL_DOWNLOAD_STATES: readonly DownloadRecordState[] = ['completed', 'cancelled'];

export interface DownloadRecord {
  id: string;
  repo: string;
  /** The revision asked for (a branch, tag or commit). */
  revision: string;
  /** The one file asked for, or null for the Hugging Face folder. */
  file: string | null;
  /** The commit the revision resolved to when the download started: every file comes from it. */
  commit: string | null;
  /** The library model it became. */
  modelId: string | null;
  state: DownloadRecordState;
  error: string | null;
  destDir: string;
  doneBytes: number;
  totalBytes: number | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface NewDownload {
  id?: string;
  repo: string;
  revision: string;
  file: string | null;
  destDir: string;
}

interface DownloadDetails {
  repo: string;
  revision: string;
  file: string | null;
  commit: string | null;
  modelId: string | null;
}

interface DownloadRow {
  id: string;
  config_json: string;
  state: DownloadRecordState;
  error: string | null;
  output_dir: string;
  step: number;
  total_steps: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

function detailsOf(row: DownloadRow): DownloadDetails {
  const json = fromJsonObjectColumn(row.config_json, `jobs.config_json of download ${row.id}`);
  const text = (key: string): string | null => (typeof json[key] === 'string' ? json[key] : null);
  const repo = text('repo');
  if (repo === null) throw new Error(`The database holds a download (${row.id}) without a repo in jobs.config_json`);
  return { repo, revision: text('revision') ?? 'main', file: text('file'), commit: text('commit'), modelId: text('modelId') };
}

function downloadFromRow(row: DownloadRow): DownloadRecord {
  return {
    id: row.id,
    ...detailsOf(row),
    state: row.state,
    error: row.error,
    destDir: row.output_dir,
    doneBytes: row.step,
    totalBytes: row.total_steps,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

export class DownloadsRepository {
  private readonly db: StoreDatabase;
  private readonly insertDownload: BetterSqlite3.Statement;
  private readonly selectDownload: BetterSqlite3.Statement<[string], DownloadRow>;
  private readonly selectDownloads: BetterSqlite3.Statement<[], DownloadRow>;
  private readonly updateDownload: BetterSqlite3.Statement;
  private readonly updateBytes: BetterSqlite3.Statement;
  private readonly deleteDownload: BetterSqlite3.Statement<[string]>;

  constructor(db: StoreDatabase) {
    this.db = db;
    const c = db.connection;
    this.insertDownload = c.prepare(`
      INSERT INTO jobs (id, kind, base_model_id, config_json, state, output_dir, created_at, started_at)
      VALUES (@id, 'download', NULL, @config_json, 'running', @output_dir, @now, @now)`);
    this.selectDownload = c.prepare("SELECT * FROM jobs WHERE id = ? AND kind = 'download'");
    this.selectDownloads = c.prepare("SELECT * FROM jobs WHERE kind = 'download' ORDER BY created_at DESC, rowid DESC");
    this.updateDownload = c.prepare(`
      UPDATE jobs SET state = @state, error = @error, config_json = @config_json, finished_at = @finished_at
      WHERE id = @id AND kind = 'download'`);
    this.updateBytes = c.prepare("UPDATE jobs SET step = @done, total_steps = coalesce(@total, total_steps) WHERE id = @id AND kind = 'download'");
    this.deleteDownload = c.prepare("DELETE FROM jobs WHERE id = ? AND kind = 'download'");
  }

  /** A new download, 'running' from now. */
  create(download: NewDownload): DownloadRecord {
    const id = download.id ?? randomUUID();
    const details: DownloadDetails = { repo: download.repo, revision: download.revision, file: download.file, commit: null, modelId: null };
    this.insertDownload.run({ id, config_json: toJsonColumn(details), output_dir: download.destDir, now: this.db.now() });
    return this.get(id)!;
  }

  get(id: string): DownloadRecord | undefined {
    const row = this.selectDownload.get(id);
    return row && downloadFromRow(row);
  }

  /** Most recent first. */
  list(): DownloadRecord[] {
    return this.selectDownloads.all().map(downloadFromRow);
  }

  /**
   * Moves the download to `state` (finishedAt set in a final state, cleared otherwise); `error`,
   * `commit` and `modelId` are set when given. Undefined when there is no such download.
   */
  update(
    id: string,
    state: DownloadRecordState,
    details: { error?: string | null; commit?: string | null; modelId?: string | null } = {},
  ): DownloadRecord | undefined {
    return this.db.transaction(() => {
      const current = this.get(id);
      if (!current) return undefined;
      const stored: DownloadDetails = {
        repo: current.repo,
        revision: current.revision,
        file: current.file,
        commit: details.commit === undefined ? current.commit : details.commit,
        modelId: details.modelId === undefined ? current.modelId : details.modelId,
      };
      this.updateDownload.run({
        id,
        state,
        error: details.error === undefined ? current.error : details.error,
        config_json: toJsonColumn(stored),
        finished_at: FINAL_DOWNLOAD_STATES.includes(state) ? this.db.now() : null,
      });
      return this.get(id);
    });
  }

  /** Records the bytes fetched so far; `totalBytes` is kept when not given. */
  updateProgress(id: string, doneBytes: number, totalBytes?: number | null): void {
    this.updateBytes.run({ id, done: Math.round(doneBytes), total: totalBytes ?? null });
  }

  delete(id: string): boolean {
    return this.deleteDownload.run(id).changes > 0;
  }
}
