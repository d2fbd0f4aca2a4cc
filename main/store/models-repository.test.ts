import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConversationsRepository } from './conversations-repository.ts';
import { ModelsRepository, type ModelInput } from './models-repository.ts';
import { ManualClock, openTestDatabase } from './store-test-support.ts';

function model(id: string, overrides: Partial<ModelInput> = {}): ModelInput {
  return {
    id,
    name: id,
    architecture: 'llama',
    sourceDir: `/models/${id}`,
    parameters: 5_000_000,
    contextLength: 256,
    sizeBytes: 20_000_000,
    spec: { vocabSize: 65, layers: [1, 2] },
    isBundled: false,
    gguf: null,
    ...overrides,
  };
}

test('models are upserted, listed bundled first then by name, and read back with their spec', (t) => {
  const clock = new ManualClock();
  const models = new ModelsRepository(openTestDatabase(t, { now: clock.now }));
  const created = models.upsert(model('zeta'));
  assert.deepEqual(created, { ...model('zeta'), createdAt: clock.now() });
  clock.advance(1000);
  models.upsert(model('alpha'));
  models.upsert(model('demo', { name: 'Shakespeare demo', isBundled: true }));
  assert.deepEqual(models.list().map((m) => m.id), ['demo', 'alpha', 'zeta']);

  clock.advance(1000);
  const updated = models.upsert(model('zeta', { name: 'Zeta v2', sizeBytes: 1 }));
  assert.equal(updated.name, 'Zeta v2');
  assert.equal(updated.sizeBytes, 1);
  assert.equal(updated.createdAt, created.createdAt, 'an update keeps the creation time');
  assert.equal(models.get('missing'), undefined);
});

test('a model imported from a GGUF file keeps what the library knows of the file; a folder has none', (t) => {
  const models = new ModelsRepository(openTestDatabase(t));
  const gguf = { fileType: 'Q4_K_M', weightBytes: 3_012_345, copied: true };
  assert.deepEqual(models.upsert(model('file', { sourceDir: '/downloads/m-q4_k_m.gguf', gguf })).gguf, gguf);
  assert.deepEqual(models.get('file')?.gguf, gguf);
  assert.equal(models.upsert(model('folder', { gguf: undefined })).gguf, null);
  // A refresh (as the bundled model gets at every start) writes what it is given.
  assert.equal(models.upsert(model('file')).gguf, null);
});

test('variants: one per model, precision and attention; patched in place; gone with their model', (t) => {
  const db = openTestDatabase(t);
  const models = new ModelsRepository(db);
  const conversations = new ConversationsRepository(db);
  models.upsert(model('m'));
  const building = models.upsertVariant({ modelId: 'm', precision: 'int8', attention: 'fused', dir: '/cache/a', status: 'building' });
  assert.equal(building.status, 'building');
  assert.equal(building.weightBytes, null);

  const failed = models.updateVariant(building.id, { status: 'failed', error: 'out of disk space' });
  assert.equal(failed?.status, 'failed');
  assert.equal(failed?.error, 'out of disk space');
  assert.equal(failed?.dir, '/cache/a', 'fields left out of the patch are kept');

  const rebuilt = models.upsertVariant({ modelId: 'm', precision: 'int8', attention: 'fused', dir: '/cache/b', status: 'ready', weightBytes: 6_000_000 });
  assert.equal(rebuilt.id, building.id, 'the same model, precision and attention reuse the row');
  assert.equal(rebuilt.error, null);
  assert.equal(rebuilt.weightBytes, 6_000_000);
  const int4 = models.upsertVariant({ modelId: 'm', precision: 'int4', attention: 'fused', dir: '/cache/c', status: 'ready' });
  assert.deepEqual(models.listVariants('m').map((v) => v.precision).sort(), ['int4', 'int8']);
  assert.equal(models.findVariant('m', 'int4', 'fused')?.id, int4.id);
  assert.equal(models.findVariant('m', 'int4', 'reference'), undefined);
  assert.equal(models.updateVariant('missing', { status: 'ready' }), undefined);
  assert.equal(models.updateVariant(int4.id, { measuredPeakBytes: 123 })?.measuredPeakBytes, 123);

  // A quality measurement belongs to one build: kept by a patch that leaves it out, cleared by a rebuild.
  const measured = models.updateVariant(int4.id, { qualityPerplexity: 12.5, qualityText: 'text.txt:abc' });
  assert.equal(measured?.qualityPerplexity, 12.5);
  assert.equal(measured?.qualityText, 'text.txt:abc');
  assert.equal(models.updateVariant(int4.id, { measuredPeakBytes: 124 })?.qualityPerplexity, 12.5);
  const rebuiltInt4 = models.upsertVariant({ modelId: 'm', precision: 'int4', attention: 'fused', dir: '/cache/c', status: 'building' });
  assert.equal(rebuiltInt4.qualityPerplexity, null);
  assert.equal(rebuiltInt4.qualityText, null);

  assert.throws(() => models.upsertVariant({ modelId: 'nope', precision: 'fp16', attention: 'fused', dir: '/x', status: 'building' }), /FOREIGN KEY/);

  const chat = conversations.create({ title: 'chat', modelId: 'm', precision: 'int8' });
  assert.equal(models.deleteVariant(int4.id), true);
  assert.equal(models.delete('m'), true);
  assert.equal(models.delete('m'), false);
  assert.deepEqual(models.listVariants('m'), [], 'variants are deleted with their model');
  assert.equal(conversations.get(chat.id)?.modelId, null, "conversations keep going without the deleted model");
});
