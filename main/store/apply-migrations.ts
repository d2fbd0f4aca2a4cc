// Brings a connection's schema up to the last of the given migrations, in one write
// transaction: either every pending step is applied and user_version records it, or nothing
// changes. Foreign keys must be off while it runs (the caller turns them on afterwards) so that
// a step may rebuild a table; the foreign key check before commit catches a step that broke
// references.
import type BetterSqlite3 from 'better-sqlite3';
import type { Migration } from './migrations.ts';
import { StoreError } from './store-error.ts';

export function readUserVersion(connection: BetterSqlite3.Database): number {
  return connection.pragma('user_version', { simple: true }) as number;
}

export function tooNewError(file: string, version: number, known: number): StoreError {
  return new StoreError(
    'too-new',
    `${file} was written by a newer version of Hearth (database schema version ${version}; this version knows up to ${known}). ` +
      'It was left untouched: update Hearth to open it, or choose another data directory.',
    { file },
  );
}

/** Applies the pending migrations and returns the schema version reached. */
export function applyMigrations(connection: BetterSqlite3.Database, migrations: readonly Migration[], file: string): number {
  const target = migrations.length;
  const migrate = connection.transaction(() => {
    // Read under the write lock: another process may have migrated since the caller looked.
    const from = readUserVersion(connection);
    if (from > target) throw tooNewError(file, from, target);
    for (let version = from; version < target; version++) {
      const migration = migrations[version];
      try {
        if (typeof migration.up === 'string') connection.exec(migration.up);
        else migration.up(connection);
      } catch (cause) {
        throw new StoreError(
          'migration-failed',
          `Could not upgrade ${file} to schema version ${version + 1} (${migration.description}): ${(cause as Error).message}. ` +
            'Nothing was changed; report this as a Hearth bug.',
          { file, cause },
        );
      }
    }
    const broken = connection.pragma('foreign_key_check') as unknown[];
    if (broken.length > 0) {
      throw new StoreError('migration-failed', `Upgrading ${file} left ${broken.length} broken references; nothing was changed.`, { file });
    }
    connection.pragma(`user_version = ${target}`);
    return target;
  });
  // IMMEDIATE takes the write lock at once, even when nothing is pending: a database another
  // process holds locked is found now, at start-up, rather than at the first write.
  return migrate.immediate();
}
