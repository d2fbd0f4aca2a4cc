import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from './database.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.ts';
import { StoreError } from './store-error.ts';
import { tempDir } from './store-test-support.ts';

function schemaOf(file: string): unknown[] {
  const connection = new Database(file, { readonly: true });
  try {
    return connection.prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all();
  } finally {
    connection.close();
  }
}

function catchStoreError(work: () => unknown): StoreError {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof StoreError, `expected a StoreError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a StoreError');
}

test('a new database is in WAL mode with foreign keys on, a busy timeout and the current schema', (t) => {
  const file = join(tempDir(t), 'hearth.sqlite');
  const db = openDatabase(file, { busyTimeoutMs: 1234 });
  t.after(() => db.close());
  assert.equal(db.schemaVersion, SCHEMA_VERSION);
  assert.equal(db.corruptBackupPath, null);
  assert.equal(db.connection.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.connection.pragma('foreign_keys', { simple: true }), 1);
  assert.equal(db.connection.pragma('busy_timeout', { simple: true }), 1234);
  assert.equal(db.connection.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  const tables = (db.connection.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
  for (const table of ['models', 'model_variants', 'conversations', 'messages', 'settings', 'jobs', 'job_metrics', 'search_index', 'search_rows']) {
    assert.ok(tables.includes(table), `table ${table} exists`);
  }
  // WAL is a property of the file: another connection sees it too.
  const other = new Database(file);
  t.after(() => other.close());
  assert.equal(other.pragma('journal_mode', { simple: true }), 'wal');
});

test('foreign keys are enforced and deletes cascade', (t) => {
  const db = openDatabase(join(tempDir(t), 'hearth.sqlite'));
  t.after(() => db.close());
  const c = db.connection;
  assert.throws(
    () => c.prepare("INSERT INTO messages (id, conversation_id, position, role, status, created_at, updated_at) VALUES ('m', 'missing', 0, 'user', 'complete', 0, 0)").run(),
    /FOREIGN KEY/,
  );
  c.exec(`
    INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c', 'chat', 0, 0);
    INSERT INTO messages (id, conversation_id, position, role, status, created_at, updated_at) VALUES ('m', 'c', 0, 'user', 'complete', 0, 0);
    DELETE FROM conversations WHERE id = 'c';`);
  assert.deepEqual(c.prepare('SELECT count(*) AS n FROM messages').get(), { n: 0 });
});

// One row per table of each version, so an upgrade from every older version must carry them.
function seed(file: string, version: number): void {
  const c = new Database(file);
  try {
    if (version >= 1) {
      c.exec(`
        INSERT INTO models (id, name, architecture, source_dir, parameters, context_length, size_bytes, spec_json, is_bundled, created_at)
          VALUES ('m1', 'Shakespeare', 'llama', '/models/s', 5000000, 256, 20000000, '{"vocabSize":65}', 1, 1);
        INSERT INTO model_variants (id, model_id, precision, attention, dir, weight_bytes, status, created_at)
          VALUES ('v1', 'm1', 'int8', 'fused', '/cache/v1', 6000000, 'ready', 2);
        INSERT INTO conversations (id, title, model_id, precision, created_at, updated_at) VALUES ('c1', 'Sonnets', 'm1', 'int8', 3, 3);
        INSERT INTO messages (id, conversation_id, position, role, content, status, created_at, updated_at)
          VALUES ('u1', 'c1', 0, 'user', 'compare thee to a summer day', 'complete', 4, 4),
                 ('a1', 'c1', 1, 'assistant', 'thou art more lovely', 'streaming', 5, 5);
        INSERT INTO settings (key, value_json) VALUES ('theme', '"dark"');`);
    }
    if (version >= 2) {
      c.exec(`
        INSERT INTO jobs (id, base_model_id, config_json, state, created_at) VALUES ('j1', 'm1', '{"epochs":1}', 'running', 6);
        INSERT INTO job_metrics (job_id, step, train_loss, created_at) VALUES ('j1', 10, 2.5, 7);`);
    }
    if (version >= 4) {
      c.exec(`
        INSERT INTO adapters (id, base_model_id, name, dir, source, job_id, r, alpha, created_at) VALUES ('a1', 'm1', 'greet', '/a/1', 'trained', 'j1', 8, 16, 8);
        UPDATE conversations SET adapter_id = 'a1' WHERE id = 'c1';`);
    }
  } finally {
    c.close();
  }
}

for (let from = 0; from < SCHEMA_VERSION; from++) {
  test(`a database at schema version ${from} upgrades to ${SCHEMA_VERSION}, keeping its data`, (t) => {
    const dir = tempDir(t);
    const fresh = join(dir, 'fresh.sqlite');
    openDatabase(fresh).close();

    const file = join(dir, 'old.sqlite');
    const old = openDatabase(file, { migrations: MIGRATIONS.slice(0, from) });
    assert.equal(old.schemaVersion, from);
    old.close();
    seed(file, from);

    const db = openDatabase(file);
    t.after(() => db.close());
    assert.equal(db.schemaVersion, SCHEMA_VERSION);
    db.close();
    assert.deepEqual(schemaOf(file), schemaOf(fresh), 'an upgraded schema is the same as a new one');

    const c = new Database(file, { readonly: true });
    t.after(() => c.close());
    const count = (table: string) => (c.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    if (from >= 1) {
      assert.deepEqual(c.prepare('SELECT id, name, spec_json FROM models').all(), [{ id: 'm1', name: 'Shakespeare', spec_json: '{"vocabSize":65}' }]);
      assert.equal(count('model_variants'), 1);
      assert.deepEqual(c.prepare('SELECT content FROM messages ORDER BY position').all(), [
        { content: 'compare thee to a summer day' },
        { content: 'thou art more lovely' },
      ]);
      assert.equal(count('settings'), 1);
      // The search index covers rows written before it existed.
      const found = c.prepare("SELECT r.conversation_id AS id FROM search_index JOIN search_rows r ON r.fts_rowid = search_index.rowid WHERE search_index MATCH 'lovely'").all();
      assert.deepEqual(found, [{ id: 'c1' }]);
      assert.equal(count('search_rows'), 3, 'one title and two messages indexed');
    }
    if (from >= 2) {
      assert.deepEqual(c.prepare('SELECT job_id, step, train_loss FROM job_metrics').all(), [{ job_id: 'j1', step: 10, train_loss: 2.5 }]);
      // Jobs recorded before schema version 4 have no data paths and start from step 0.
      assert.deepEqual(c.prepare('SELECT state, train_path, eval_path, step, total_steps, queued_at FROM jobs').all(), [
        { state: 'running', train_path: null, eval_path: null, step: 0, total_steps: null, queued_at: null },
      ]);
      // Jobs recorded before schema version 7 are fine-tunes (downloads became jobs then).
      assert.deepEqual(c.prepare('SELECT kind FROM jobs').all(), [{ kind: 'finetune' }]);
    }
    if (from >= 1 && from < 4) {
      assert.deepEqual(c.prepare('SELECT adapter_id FROM conversations').all(), [{ adapter_id: null }], 'conversations chat with the model alone');
      assert.equal(count('adapters'), 0);
    }
    if (from >= 4) {
      assert.deepEqual(c.prepare('SELECT adapter_id FROM conversations').all(), [{ adapter_id: 'a1' }], 'the conversation keeps its adapter');
      assert.equal(count('adapters'), 1);
    }
    if (from >= 1) {
      // Variants built before schema version 5 have no quality measured yet.
      assert.deepEqual(c.prepare('SELECT quality_perplexity, quality_text FROM model_variants').all(), [{ quality_perplexity: null, quality_text: null }]);
    }
  });
}

test('a failing migration changes nothing and names the step', (t) => {
  const file = join(tempDir(t), 'hearth.sqlite');
  openDatabase(file, { migrations: MIGRATIONS.slice(0, 1) }).close();
  const broken = [...MIGRATIONS.slice(0, 2), { description: 'a broken step', up: 'CREATE TABLE half_done (a); SELECT nope FROM nowhere;' }];
  const error = catchStoreError(() => openDatabase(file, { migrations: broken }));
  assert.equal(error.kind, 'migration-failed');
  assert.match(error.message, /schema version 3 \(a broken step\)/);
  const c = new Database(file, { readonly: true });
  t.after(() => c.close());
  assert.equal(c.pragma('user_version', { simple: true }), 1, 'still at version 1: step 2 was rolled back with step 3');
  assert.equal(c.prepare("SELECT name FROM sqlite_schema WHERE name IN ('jobs', 'half_done')").all().length, 0);
});

test('a database from a newer Hearth is refused and left untouched', (t) => {
  const file = join(tempDir(t), 'hearth.sqlite');
  const newer = new Database(file);
  newer.exec('CREATE TABLE future (x)');
  newer.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  newer.close();
  const before = readFileSync(file);

  const error = catchStoreError(() => openDatabase(file));
  assert.equal(error.kind, 'too-new');
  assert.equal(error.file, file);
  assert.match(error.message, /newer version of Hearth/);
  assert.match(error.message, new RegExp(`version ${SCHEMA_VERSION + 1}`));
  assert.ok(readFileSync(file).equals(before), 'the file is byte for byte the same (not even switched to WAL)');
  assert.ok(!existsSync(`${file}-wal`));
});

test('a file that is not a database is moved to a backup and reported as corrupt', (t) => {
  const file = join(tempDir(t), 'hearth.sqlite');
  const garbage = Buffer.alloc(8192);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) % 251;
  writeFileSync(file, garbage);
  writeFileSync(`${file}-wal`, 'stale wal');

  const error = catchStoreError(() => openDatabase(file));
  assert.equal(error.kind, 'corrupt');
  assert.equal(error.file, file);
  assert.ok(error.backupPath, 'names the backup');
  assert.match(error.backupPath, /hearth\.sqlite\.corrupt-\d{4}-\d\d-\d\dT[\d-]+Z\.bak$/);
  assert.ok(error.message.includes(file) && error.message.includes(error.backupPath), error.message);
  assert.ok(readFileSync(error.backupPath).equals(garbage), 'the backup holds the original bytes');
  // SQLite itself discards a WAL whose header is not valid; a valid one moves with the backup.
  // Either way none is left to be replayed into the new database.
  assert.ok(!existsSync(file) && !existsSync(`${file}-wal`));

  // Opening again starts afresh.
  const db = openDatabase(file);
  t.after(() => db.close());
  assert.equal(db.schemaVersion, SCHEMA_VERSION);
});

test('a damaged database is found at open, and backup-and-recreate starts an empty one', (t) => {
  const file = join(tempDir(t), 'hearth.sqlite');
  const db = openDatabase(file);
  const insert = db.connection.prepare("INSERT INTO conversations (id, title, created_at, updated_at) VALUES (?, ?, 0, 0)");
  for (let i = 0; i < 500; i++) insert.run(`c${i}`, `conversation number ${i} ${'x'.repeat(100)}`);
  db.close();
  const fd = openSync(file, 'r+');
  for (const page of [3, 10, 20]) writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, 4096 * page);
  closeSync(fd);
  const damaged = readFileSync(file);

  const recreated = openDatabase(file, { onCorrupt: 'backup-and-recreate' });
  t.after(() => recreated.close());
  assert.ok(recreated.corruptBackupPath);
  assert.ok(readFileSync(recreated.corruptBackupPath).equals(damaged));
  assert.equal(recreated.schemaVersion, SCHEMA_VERSION);
  assert.deepEqual(recreated.connection.prepare('SELECT count(*) AS n FROM conversations').get(), { n: 0 });
});

test('a database another process holds locked is reported as locked', (t) => {
  const file = join(tempDir(t), 'hearth.sqlite');
  openDatabase(file).close();
  const holder = new Database(file);
  t.after(() => holder.close());
  holder.exec('BEGIN IMMEDIATE');
  holder.exec("INSERT INTO settings (key, value_json) VALUES ('k', '1')");

  const started = Date.now();
  const error = catchStoreError(() => openDatabase(file, { busyTimeoutMs: 50 }));
  assert.equal(error.kind, 'locked');
  assert.match(error.message, /another Hearth window may be using it; close it and retry/);
  assert.ok(error.message.includes(file));
  assert.ok(Date.now() - started < 3000, 'gave up after the short busy timeout');

  holder.exec('ROLLBACK');
  openDatabase(file, { busyTimeoutMs: 50 }).close();
});

test('a database held in exclusive locking mode is reported as locked', (t) => {
  const file = join(tempDir(t), 'hearth.sqlite');
  openDatabase(file).close();
  const holder = new Database(file);
  t.after(() => holder.close());
  holder.pragma('locking_mode = EXCLUSIVE');
  holder.exec("INSERT INTO settings (key, value_json) VALUES ('k', '1')");

  const error = catchStoreError(() => openDatabase(file, { busyTimeoutMs: 50 }));
  assert.equal(error.kind, 'locked');
});

test('the adapters of a deleted model go with it, and their conversations fall back to the model alone', (t) => {
  const db = openDatabase(join(tempDir(t), 'hearth.sqlite'));
  t.after(() => db.close());
  const c = db.connection;
  c.exec(`
    INSERT INTO models (id, name, architecture, source_dir, parameters, context_length, size_bytes, spec_json, created_at)
      VALUES ('m', 'M', 'llama', '/m', 1, 1, 1, '{}', 0), ('n', 'N', 'llama', '/n', 1, 1, 1, '{}', 0);
    INSERT INTO jobs (id, base_model_id, config_json, state, created_at) VALUES ('j', 'm', '{}', 'completed', 0);
    INSERT INTO adapters (id, base_model_id, name, dir, source, job_id, r, alpha, created_at)
      VALUES ('a', 'm', 'A', '/a', 'trained', 'j', 8, 16, 0), ('b', 'n', 'B', '/b', 'imported', NULL, 4, 8, 0);
    INSERT INTO conversations (id, title, model_id, adapter_id, created_at, updated_at) VALUES ('c', 'chat', 'm', 'a', 0, 0);
    DELETE FROM jobs WHERE id = 'j';`);
  assert.deepEqual(c.prepare("SELECT job_id FROM adapters WHERE id = 'a'").get(), { job_id: null }, 'a deleted job leaves its adapter');
  c.exec("DELETE FROM models WHERE id = 'm'");
  assert.deepEqual(c.prepare('SELECT id FROM adapters').all(), [{ id: 'b' }]);
  assert.deepEqual(c.prepare("SELECT model_id, adapter_id FROM conversations WHERE id = 'c'").get(), { model_id: null, adapter_id: null });
  assert.throws(() => c.exec("INSERT INTO adapters (id, base_model_id, name, dir, source, r, alpha, created_at) VALUES ('x', 'n', 'X', '/x', 'downloaded', 1, 1, 0)"), /CHECK/);
});

test('nativeBinding chooses the better-sqlite3 build that opens the file; a missing build is named and nothing is created', (t) => {
  const dir = tempDir(t);
  const nodeBuild = createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');
  const db = openDatabase(join(dir, 'hearth.sqlite'), { nativeBinding: nodeBuild });
  t.after(() => db.close());
  assert.equal(db.schemaVersion, SCHEMA_VERSION);
  assert.equal(db.connection.pragma('journal_mode', { simple: true }), 'wal');

  const missing = join(dir, 'electron-build', 'better_sqlite3.node');
  const file = join(dir, 'other.sqlite');
  assert.throws(() => openDatabase(file, { nativeBinding: missing }), (error: Error) => error.message.includes(missing));
  assert.equal(existsSync(file), false);
});
