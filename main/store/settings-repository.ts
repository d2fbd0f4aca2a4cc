// App settings as key → JSON value. Each read and write goes through the zod schema the caller
// passes, so a value is checked where it is used and the store stays ignorant of what settings
// exist.
import type BetterSqlite3 from 'better-sqlite3';
import type { ZodType } from 'zod';
import type { StoreDatabase } from './database.ts';
import { fromJsonColumn, toJsonColumn } from './json-column.ts';
import { StoreError } from './store-error.ts';

export class SettingsRepository {
  private readonly db: StoreDatabase;
  private readonly selectValue: BetterSqlite3.Statement<[string], { value_json: string }>;
  private readonly upsertValue: BetterSqlite3.Statement<[string, string]>;
  private readonly deleteValue: BetterSqlite3.Statement<[string]>;

  constructor(db: StoreDatabase) {
    this.db = db;
    const c = db.connection;
    this.selectValue = c.prepare('SELECT value_json FROM settings WHERE key = ?');
    this.upsertValue = c.prepare('INSERT INTO settings (key, value_json) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json');
    this.deleteValue = c.prepare('DELETE FROM settings WHERE key = ?');
  }

  /**
   * The stored value parsed by `schema`, or undefined when none is stored. A stored value the
   * schema rejects throws a StoreError of kind 'invalid-setting' naming the key.
   */
  get<T>(key: string, schema: ZodType<T>): T | undefined {
    const row = this.selectValue.get(key);
    if (!row) return undefined;
    const parsed = schema.safeParse(fromJsonColumn(row.value_json, `settings.value_json of setting '${key}'`));
    if (!parsed.success) {
      throw new StoreError(
        'invalid-setting',
        `The setting '${key}' in ${this.db.file} holds a value this Hearth does not accept: ${parsed.error.message}. Set it again to replace it.`,
        { file: this.db.file, cause: parsed.error },
      );
    }
    return parsed.data;
  }

  /** The stored value, or `fallback` when none is stored. */
  getOr<T>(key: string, schema: ZodType<T>, fallback: T): T {
    return this.get(key, schema) ?? fallback;
  }

  /** Checks `value` with `schema` (a zod error on failure, nothing written) and stores what it parses to. */
  set<T>(key: string, schema: ZodType<T>, value: T): T {
    const parsed = schema.parse(value);
    this.upsertValue.run(key, toJsonColumn(parsed));
    return parsed;
  }

  delete(key: string): boolean {
    return this.deleteValue.run(key).changes > 0;
  }
}
