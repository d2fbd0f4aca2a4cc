// Opens Hearth's SQLite database: WAL mode (readers never wait for the writer, and a crash
// loses no committed transaction), foreign keys on, a busy timeout, and the schema migrated to
// the current version. The conditions a user can meet get a StoreError with a message that says
// what to do: a corrupt file (moved aside to a backup, never deleted), a file locked by another
// process, and a file from a newer Hearth (left untouched).
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { applyMigrations, readUserVersion, tooNewError } from './apply-migrations.ts';
import { MIGRATIONS, type Migration } from './migrations.ts';
import { StoreError } from './store-error.ts';

export interface OpenDatabaseOptions {
  /**
   * What to do with a corrupt file, after moving it (and its -wal and -shm files) to
   * `<file>.corrupt-<timestamp>.bak`: throw a StoreError of kind 'corrupt' (the default; opening
   * again then starts an empty database), or start an empty database at once and report the
   * backup in `StoreDatabase.corruptBackupPath`.
   */
  onCorrupt?: 'backup-and-recreate' | 'throw';
  /** How long a statement waits for another connection's lock before failing (default 5000). */
  busyTimeoutMs?: number;
  /** Run PRAGMA quick_check at open, so corruption is found at start-up rather than mid-chat (default true). */
  checkIntegrity?: boolean;
  /** The schema steps; tests pass a prefix of MIGRATIONS to build a database of an older version. */
  migrations?: readonly Migration[];
  /** The clock behind every created_at/updated_at (default Date.now). */
  now?: () => number;
  /**
   * The better-sqlite3 native build to load (its `nativeBinding` option): the Electron app from a
   * checkout passes the build made for Electron's ABI, since the one in node_modules is Node's.
   * Default: better-sqlite3's own build.
   */
  nativeBinding?: string;
}

/** An open, migrated database, handed to the repositories. */
export class StoreDatabase {
  readonly file: string;
  /** The better-sqlite3 connection; repositories prepare their statements on it. */
  readonly connection: BetterSqlite3.Database;
  readonly schemaVersion: number;
  /** Where a corrupt file was moved when this database was recreated in its place, else null. */
  readonly corruptBackupPath: string | null;
  private readonly clock: () => number;

  constructor(file: string, connection: BetterSqlite3.Database, schemaVersion: number, corruptBackupPath: string | null, clock: () => number) {
    this.file = file;
    this.connection = connection;
    this.schemaVersion = schemaVersion;
    this.corruptBackupPath = corruptBackupPath;
    this.clock = clock;
  }

  /** The current time in milliseconds, from the injected clock. */
  now(): number {
    return this.clock();
  }

  /** Runs `work` in a transaction (nested calls become savepoints). */
  transaction<T>(work: () => T): T {
    return this.connection.transaction(work)();
  }

  close(): void {
    if (this.connection.open) this.connection.close();
  }
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;

export function openDatabase(file: string, options: OpenDatabaseOptions = {}): StoreDatabase {
  mkdirSync(dirname(file), { recursive: true });
  try {
    return openOnce(file, options, null);
  } catch (error) {
    if (!isCorruption(error)) throw asStoreError(error, file);
    const backupPath = moveAside(file);
    if ((options.onCorrupt ?? 'throw') === 'throw') {
      throw new StoreError(
        'corrupt',
        `Hearth's database ${file} is damaged (${(error as Error).message}). It was moved to ${backupPath}; ` +
          'opening again starts an empty database (your conversations stay in the backup).',
        { file, backupPath, cause: error },
      );
    }
    return openOnce(file, options, backupPath);
  }
}

function openOnce(file: string, options: OpenDatabaseOptions, corruptBackupPath: string | null): StoreDatabase {
  const migrations = options.migrations ?? MIGRATIONS;
  const connection = new Database(file, { timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS, nativeBinding: options.nativeBinding });
  try {
    // The first read: a file that is not a database fails here, before anything is written.
    const version = readUserVersion(connection);
    if (version > migrations.length) throw tooNewError(file, version, migrations.length);
    const mode = connection.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`SQLite kept journal mode '${String(mode)}' instead of WAL for ${file}`);
    // In WAL mode NORMAL is safe against corruption; only a power cut can lose the last commits.
    connection.pragma('synchronous = NORMAL');
    if (options.checkIntegrity ?? true) checkIntegrity(connection);
    connection.pragma('foreign_keys = OFF');
    const schemaVersion = applyMigrations(connection, migrations, file);
    connection.pragma('foreign_keys = ON');
    return new StoreDatabase(file, connection, schemaVersion, corruptBackupPath, options.now ?? Date.now);
  } catch (error) {
    connection.close();
    throw error;
  }
}

/** Thrown inside openOnce when quick_check reports damage, so it is handled like SQLITE_CORRUPT. */
class IntegrityCheckFailure extends Error {
  override name = 'IntegrityCheckFailure';
}

function checkIntegrity(connection: BetterSqlite3.Database): void {
  const rows = connection.pragma('quick_check(5)', { simple: false }) as { quick_check: string }[];
  const problems = rows.map((row) => row.quick_check).filter((line) => line !== 'ok');
  if (problems.length > 0) throw new IntegrityCheckFailure(`integrity check failed: ${problems.join('; ')}`);
}

function sqliteCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

function isCorruption(error: unknown): boolean {
  const code = sqliteCode(error);
  return error instanceof IntegrityCheckFailure || code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT');
}

function asStoreError(error: unknown, file: string): unknown {
  if (error instanceof StoreError) return error;
  const code = sqliteCode(error);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StoreError(
      'locked',
      `Hearth's database ${file} is locked: another Hearth window may be using it; close it and retry.`,
      { file, cause: error },
    );
  }
  return error;
}

/**
 * Moves a corrupt file out of the way with its -wal and -shm companions: a stale WAL left
 * beside a new, empty database would be replayed into it.
 */
function moveAside(file: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  let backupPath = `${file}.corrupt-${stamp}.bak`;
  for (let n = 2; existsSync(backupPath); n++) backupPath = `${file}.corrupt-${stamp}-${n}.bak`;
  renameSync(file, backupPath);
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(file + suffix)) renameSync(file + suffix, backupPath + suffix);
  }
  return backupPath;
}
