// The schema, as the ordered list of steps that build it. The database's `PRAGMA user_version`
// counts the steps already applied: version N is the schema after the first N migrations. Never
// edit a migration that has shipped; append a new one (a database written by an older Hearth
// must reach the same schema as a fresh one).
//
// Migrations run inside one transaction with foreign keys off (see apply-migrations.ts), so a
// later step may rebuild a table the way SQLite's ALTER TABLE documentation describes.
import type BetterSqlite3 from 'better-sqlite3';

export interface Migration {
  /** Says what the step adds; named in the error when a step fails. */
  readonly description: string;
  /** SQL run as one script, or a function for steps that need logic. */
  readonly up: string | ((connection: BetterSqlite3.Database) => void);
}

/** Times are milliseconds since the Unix epoch; *_json columns hold JSON text. */
const coreTables: Migration = {
  description: 'models, model variants, conversations, messages and settings',
  up: `
    CREATE TABLE models (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      architecture TEXT NOT NULL,
      source_dir TEXT NOT NULL,
      parameters INTEGER NOT NULL,
      context_length INTEGER NOT NULL,
      size_bytes INTEGER NOT NULL,
      spec_json TEXT NOT NULL,
      is_bundled INTEGER NOT NULL DEFAULT 0 CHECK (is_bundled IN (0, 1)),
      created_at INTEGER NOT NULL
    );

    CREATE TABLE model_variants (
      id TEXT PRIMARY KEY,
      model_id TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
      precision TEXT NOT NULL,
      attention TEXT NOT NULL,
      dir TEXT NOT NULL,
      weight_bytes INTEGER,
      status TEXT NOT NULL CHECK (status IN ('building', 'ready', 'failed')),
      error TEXT,
      measured_peak_bytes INTEGER,
      created_at INTEGER NOT NULL,
      -- Also the index that finds a model's variants (and cascades its deletes).
      UNIQUE (model_id, precision, attention)
    );

    CREATE TABLE conversations (
      id TEXT PRIMARY KEY,
      title TEXT NOT NULL,
      model_id TEXT REFERENCES models (id) ON DELETE SET NULL,
      precision TEXT,
      system_prompt TEXT NOT NULL DEFAULT '',
      params_json TEXT NOT NULL DEFAULT '{}',
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
    -- The conversation list shows the most recently used first.
    CREATE INDEX conversations_by_updated_at ON conversations (updated_at DESC, created_at DESC);
    -- Deleting a model sets model_id to NULL in its conversations: without this, a full scan.
    CREATE INDEX conversations_by_model ON conversations (model_id);

    CREATE TABLE messages (
      id TEXT PRIMARY KEY,
      conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
      position INTEGER NOT NULL,
      role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
      content TEXT NOT NULL DEFAULT '',
      status TEXT NOT NULL CHECK (status IN ('complete', 'streaming', 'interrupted', 'error', 'stopped')),
      error TEXT,
      stats_json TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      -- Also the index that lists a conversation's messages in order.
      UNIQUE (conversation_id, position)
    );
    -- Start-up recovery looks for answers left 'streaming' by a crash; few rows ever match.
    CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming';

    CREATE TABLE settings (
      key TEXT PRIMARY KEY,
      value_json TEXT NOT NULL
    );
  `,
};

const fineTuneJobs: Migration = {
  description: 'fine-tune jobs and their metrics',
  up: `
    CREATE TABLE jobs (
      id TEXT PRIMARY KEY,
      -- No foreign key: a job's history outlives the model it was trained from.
      base_model_id TEXT NOT NULL,
      config_json TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
      error TEXT,
      output_dir TEXT,
      created_at INTEGER NOT NULL,
      started_at INTEGER,
      finished_at INTEGER
    );
    CREATE INDEX jobs_by_created_at ON jobs (created_at DESC);

    CREATE TABLE job_metrics (
      job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
      step INTEGER NOT NULL,
      train_loss REAL,
      eval_loss REAL,
      lr REAL,
      tokens_per_second REAL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (job_id, step)
    ) WITHOUT ROWID;
  `,
};

// Full-text search over conversation titles and message contents. The FTS5 table holds the
// text; search_rows maps each of its rows to the conversation and source row. The map has an
// INTEGER PRIMARY KEY because the rowids of the text-keyed tables may change on VACUUM, and
// the FTS rows must be found again by a stable key. Triggers keep both in step with
// conversations and messages (a cascade delete fires them too), and the step indexes the rows
// that already exist.
const conversationSearch: Migration = {
  description: 'full-text search over conversation titles and messages',
  up: `
    CREATE TABLE search_rows (
      fts_rowid INTEGER PRIMARY KEY,
      source_kind TEXT NOT NULL CHECK (source_kind IN ('title', 'message')),
      source_id TEXT NOT NULL,
      conversation_id TEXT NOT NULL,
      UNIQUE (source_kind, source_id)
    );
    CREATE VIRTUAL TABLE search_index USING fts5 (text, tokenize = 'unicode61 remove_diacritics 2');

    CREATE TRIGGER conversations_search_insert AFTER INSERT ON conversations BEGIN
      INSERT INTO search_rows (source_kind, source_id, conversation_id) VALUES ('title', new.id, new.id);
      INSERT INTO search_index (rowid, text)
        VALUES ((SELECT fts_rowid FROM search_rows WHERE source_kind = 'title' AND source_id = new.id), new.title);
    END;
    CREATE TRIGGER conversations_search_update AFTER UPDATE OF title ON conversations BEGIN
      UPDATE search_index SET text = new.title
        WHERE rowid = (SELECT fts_rowid FROM search_rows WHERE source_kind = 'title' AND source_id = new.id);
    END;
    CREATE TRIGGER conversations_search_delete AFTER DELETE ON conversations BEGIN
      DELETE FROM search_index
        WHERE rowid = (SELECT fts_rowid FROM search_rows WHERE source_kind = 'title' AND source_id = old.id);
      DELETE FROM search_rows WHERE source_kind = 'title' AND source_id = old.id;
    END;

    CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
      INSERT INTO search_rows (source_kind, source_id, conversation_id) VALUES ('message', new.id, new.conversation_id);
      INSERT INTO search_index (rowid, text)
        VALUES ((SELECT fts_rowid FROM search_rows WHERE source_kind = 'message' AND source_id = new.id), new.content);
    END;
    CREATE TRIGGER messages_search_update AFTER UPDATE OF content ON messages BEGIN
      UPDATE search_index SET text = new.content
        WHERE rowid = (SELECT fts_rowid FROM search_rows WHERE source_kind = 'message' AND source_id = new.id);
    END;
    CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
      DELETE FROM search_index
        WHERE rowid = (SELECT fts_rowid FROM search_rows WHERE source_kind = 'message' AND source_id = old.id);
      DELETE FROM search_rows WHERE source_kind = 'message' AND source_id = old.id;
    END;

    INSERT INTO search_rows (source_kind, source_id, conversation_id) SELECT 'title', id, id FROM conversations;
    INSERT INTO search_rows (source_kind, source_id, conversation_id) SELECT 'message', id, conversation_id FROM messages;
    INSERT INTO search_index (rowid, text)
      SELECT r.fts_rowid, c.title FROM search_rows r JOIN conversations c ON r.source_kind = 'title' AND c.id = r.source_id;
    INSERT INTO search_index (rowid, text)
      SELECT r.fts_rowid, m.content FROM search_rows r JOIN messages m ON r.source_kind = 'message' AND m.id = r.source_id;
  `,
};

// Fine-tuning in the app: a job remembers its data files and how far it got (the step survives
// a restart, so the list shows it before any metric is read), adapters are library entries of
// their own (trained by a job, or imported from PEFT), and a conversation may chat through one.
// Adding columns keeps every existing row; the adapters of a deleted model go with it, and the
// conversations that used a deleted adapter fall back to the model alone.
const fineTuneInTheApp: Migration = {
  description: 'fine-tune job data paths and progress, adapters, and the adapter of a conversation',
  up: `
    ALTER TABLE jobs ADD COLUMN train_path TEXT;
    ALTER TABLE jobs ADD COLUMN eval_path TEXT;
    ALTER TABLE jobs ADD COLUMN step INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN total_steps INTEGER;
    -- A job waiting in 'queued' starts in the order it was queued (first created, or resumed).
    ALTER TABLE jobs ADD COLUMN queued_at INTEGER;
    UPDATE jobs SET queued_at = created_at WHERE state = 'queued';

    CREATE TABLE adapters (
      id TEXT PRIMARY KEY,
      base_model_id TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      dir TEXT NOT NULL,
      source TEXT NOT NULL CHECK (source IN ('trained', 'imported')),
      -- The job that trained it, while that job is kept (its history may be deleted, the adapter stays).
      job_id TEXT REFERENCES jobs (id) ON DELETE SET NULL,
      r INTEGER NOT NULL,
      alpha REAL NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX adapters_by_base_model ON adapters (base_model_id);
    CREATE INDEX adapters_by_job ON adapters (job_id);

    ALTER TABLE conversations ADD COLUMN adapter_id TEXT REFERENCES adapters (id) ON DELETE SET NULL;
    CREATE INDEX conversations_by_adapter ON conversations (adapter_id);
  `,
};

// A variant's quality as measured on request: its perplexity on the quality text that ships with
// Hearth (resources/quality/), and which text that was (its file name and hash), so a figure is
// compared only with another measured on the same text. A rebuild of the variant clears both.
const variantQuality: Migration = {
  description: 'the measured perplexity of a model variant on the quality text',
  up: `
    ALTER TABLE model_variants ADD COLUMN quality_perplexity REAL;
    ALTER TABLE model_variants ADD COLUMN quality_text TEXT;
  `,
};

// A model imported from a GGUF file: source_dir then names the file, and gguf_json says so, with
// the file's own quantization (llama.cpp's name for it, e.g. Q4_K_M), the bytes its tensors hold
// as stored, and whether Hearth copied the file into its data directory (then it goes with the
// model). NULL for a Hugging Face folder: every existing row keeps its meaning.
const ggufModels: Migration = {
  description: 'the GGUF file a model was imported from',
  up: `
    ALTER TABLE models ADD COLUMN gguf_json TEXT;
  `,
};

// A download from the Hugging Face Hub is a job too, so it survives a restart and resumes from its
// .part files: `kind` tells it from a fine-tune (every existing row is one), a download has no
// base model (its model exists only once it is imported), and it may be 'paused'. SQLite cannot
// change a CHECK or a NOT NULL in place, so the table is rebuilt as its ALTER TABLE documentation
// describes (foreign keys are off while migrations run; job_metrics and adapters name the table,
// which keeps its name). For a download, config_json holds the repo, revision, file and pinned
// commit, output_dir its folder, and step/total_steps the bytes fetched and to fetch.
const downloadJobs: Migration = {
  description: 'download jobs beside fine-tune jobs',
  up: `
    CREATE TABLE jobs_with_kinds (
      id TEXT PRIMARY KEY,
      kind TEXT NOT NULL DEFAULT 'finetune' CHECK (kind IN ('finetune', 'download')),
      -- No foreign key: a job's history outlives the model it was trained from.
      base_model_id TEXT CHECK (kind = 'download' OR base_model_id IS NOT NULL),
      config_json TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'paused', 'completed', 'failed', 'cancelled')),
      error TEXT,
      output_dir TEXT,
      created_at INTEGER NOT NULL,
      started_at INTEGER,
      finished_at INTEGER,
      train_path TEXT,
      eval_path TEXT,
      step INTEGER NOT NULL DEFAULT 0,
      total_steps INTEGER,
      queued_at INTEGER
    );
    INSERT INTO jobs_with_kinds (id, kind, base_model_id, config_json, state, error, output_dir, created_at, started_at, finished_at,
        train_path, eval_path, step, total_steps, queued_at)
      SELECT id, 'finetune', base_model_id, config_json, state, error, output_dir, created_at, started_at, finished_at,
        train_path, eval_path, step, total_steps, queued_at FROM jobs;
    DROP TABLE jobs;
    ALTER TABLE jobs_with_kinds RENAME TO jobs;
    CREATE INDEX jobs_by_created_at ON jobs (created_at DESC);
    CREATE INDEX jobs_by_kind_and_state ON jobs (kind, state);
  `,
};

// DPO jobs log TRL's rewards per step beside the loss, for the train pairs and the eval pairs:
// the mean implicit reward of chosen and rejected completions, their margin, and the accuracy.
const preferenceRewards: Migration = {
  description: 'DPO rewards in job metrics',
  up: `
    ALTER TABLE job_metrics ADD COLUMN rewards_chosen REAL;
    ALTER TABLE job_metrics ADD COLUMN rewards_rejected REAL;
    ALTER TABLE job_metrics ADD COLUMN rewards_margin REAL;
    ALTER TABLE job_metrics ADD COLUMN rewards_accuracy REAL;
    ALTER TABLE job_metrics ADD COLUMN eval_rewards_chosen REAL;
    ALTER TABLE job_metrics ADD COLUMN eval_rewards_rejected REAL;
    ALTER TABLE job_metrics ADD COLUMN eval_rewards_margin REAL;
    ALTER TABLE job_metrics ADD COLUMN eval_rewards_accuracy REAL;
  `,
};

export const MIGRATIONS: readonly Migration[] = [coreTables, fineTuneJobs, conversationSearch, fineTuneInTheApp, variantQuality, ggufModels, downloadJobs, preferenceRewards];

/** The schema version this Hearth writes; a file with a higher one came from a newer Hearth. */
export const SCHEMA_VERSION = MIGRATIONS.length;
