import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DownloadsRepository } from './downloads-repository.ts';
import { JobsRepository } from './jobs-repository.ts';
import { ManualClock, openTestDatabase } from './store-test-support.ts';

test('a download is a job of its own kind: it moves through its states and keeps its commit, bytes and model', (t) => {
  const clock = new ManualClock();
  const db = openTestDatabase(t, { now: clock.now });
  const downloads = new DownloadsRepository(db);
  const download = downloads.create({ repo: 'org/name', revision: 'main', file: null, destDir: '/data/downloads/org/name' });
  assert.equal(download.state, 'running');
  assert.equal(download.startedAt, clock.now());
  assert.equal(download.commit, null);
  assert.equal(download.totalBytes, null);

  downloads.updateProgress(download.id, 100, 1000);
  downloads.updateProgress(download.id, 400);
  clock.advance(50);
  const paused = downloads.update(download.id, 'paused', { commit: 'a'.repeat(40) })!;
  assert.equal(paused.state, 'paused');
  assert.equal(paused.doneBytes, 400);
  assert.equal(paused.totalBytes, 1000, 'the total is kept when not given');
  assert.equal(paused.commit, 'a'.repeat(40));
  assert.equal(paused.finishedAt, null);

  const done = downloads.update(download.id, 'completed', { modelId: 'm1', error: null })!;
  assert.equal(done.modelId, 'm1');
  assert.equal(done.commit, 'a'.repeat(40), 'the commit is kept');
  assert.equal(done.finishedAt, clock.now());
  assert.equal(downloads.update('missing', 'paused'), undefined);
});

test('fine-tune jobs and downloads share the table without seeing each other', (t) => {
  const db = openTestDatabase(t);
  const jobs = new JobsRepository(db);
  const downloads = new DownloadsRepository(db);
  const job = jobs.create({ baseModelId: 'shakespeare-5m', config: {} });
  const download = downloads.create({ repo: 'org/name', revision: 'v1', file: 'model-Q4_K_M.gguf', destDir: '/d' });
  assert.deepEqual(jobs.list().map((j) => j.id), [job.id]);
  assert.deepEqual(downloads.list().map((d) => d.id), [download.id]);
  assert.equal(jobs.get(download.id), undefined);
  assert.equal(downloads.get(job.id), undefined);
  assert.equal(jobs.nextQueued()?.id, job.id, 'a download is never taken for a queued fine-tune');
  assert.equal(jobs.delete(download.id), false);
  assert.equal(downloads.delete(job.id), false);
  assert.equal(downloads.get(download.id)?.file, 'model-Q4_K_M.gguf');
  assert.equal(downloads.delete(download.id), true);
  assert.equal(jobs.list().length, 1);
});

test("the table refuses a fine-tune without a base model, and a download's state outside the list", (t) => {
  const db = openTestDatabase(t);
  assert.throws(() => db.connection.prepare("INSERT INTO jobs (id, kind, config_json, state, created_at) VALUES ('x', 'finetune', '{}', 'queued', 0)").run(), /CHECK/);
  assert.throws(() => db.connection.prepare("INSERT INTO jobs (id, kind, config_json, state, created_at) VALUES ('y', 'download', '{}', 'stalled', 0)").run(), /CHECK/);
});
