import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdaptersRepository } from './adapters-repository.ts';
import { JobsRepository } from './jobs-repository.ts';
import { ModelsRepository } from './models-repository.ts';
import { ManualClock, openTestDatabase } from './store-test-support.ts';

test('adapters are kept with their base model, source, job and LoRA shape, most recent first', (t) => {
  const clock = new ManualClock();
  const db = openTestDatabase(t, { now: clock.now });
  new ModelsRepository(db).upsert({ id: 'm', name: 'M', architecture: 'llama', sourceDir: '/m', parameters: 1, contextLength: 1, sizeBytes: 1, spec: {}, isBundled: false });
  const job = new JobsRepository(db).create({ baseModelId: 'm', config: {} });
  const adapters = new AdaptersRepository(db);
  const trained = adapters.create({ baseModelId: 'm', name: 'greet', dir: '/data/adapters/1', source: 'trained', jobId: job.id, r: 8, alpha: 16 });
  clock.advance(5);
  const imported = adapters.create({ baseModelId: 'm', name: 'peft', dir: '/data/adapters/2', source: 'imported', r: 4, alpha: 8 });
  assert.deepEqual(
    { name: trained.name, source: trained.source, jobId: trained.jobId, r: trained.r, alpha: trained.alpha, createdAt: trained.createdAt },
    { name: 'greet', source: 'trained', jobId: job.id, r: 8, alpha: 16, createdAt: clock.now() - 5 },
  );
  assert.equal(imported.jobId, null);
  assert.deepEqual(adapters.list().map((a) => a.id), [imported.id, trained.id]);
  assert.equal(adapters.forJob(job.id)?.id, trained.id);
  assert.equal(adapters.forJob('other'), undefined);
  assert.throws(() => adapters.create({ baseModelId: 'missing', name: 'x', dir: '/x', source: 'imported', r: 1, alpha: 1 }), /FOREIGN KEY/);
  assert.equal(adapters.delete(trained.id), true);
  assert.equal(adapters.get(trained.id), undefined);
});
