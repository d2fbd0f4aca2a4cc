// Test support for the store's tests only: real database files in a temporary folder that is
// removed when the test ends, and a clock the test moves by hand.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { openDatabase, type OpenDatabaseOptions, type StoreDatabase } from './database.ts';

/** A fresh folder for this test, removed (with everything in it) after the test. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A clock that starts at `start` and moves only when told. */
export class ManualClock {
  private time: number;
  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }
  readonly now = (): number => this.time;
  advance(ms: number): number {
    this.time += ms;
    return this.time;
  }
}

/** A migrated database in a fresh folder, closed after the test. */
export function openTestDatabase(t: TestContext, options: OpenDatabaseOptions = {}): StoreDatabase {
  const db = openDatabase(join(tempDir(t), 'hearth.sqlite'), options);
  t.after(() => db.close());
  return db;
}
