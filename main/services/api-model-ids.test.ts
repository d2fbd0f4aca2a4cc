// The model ids of the OpenAI-compatible API, over a real store: names and ids, '@precision',
// a GGUF model's as-downloaded build by its own type, and what an unknown id is told.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../common/contracts/api-error.ts';
import type { ModelInput } from '../store/models-repository.ts';
import { databaseFileIn, openStore } from '../store/store.ts';
import { listApiModels, resolveApiModel } from './api-model-ids.ts';

function model(id: string, name: string, gguf: ModelInput['gguf'] = null): ModelInput {
  return { id, name, architecture: 'llama', sourceDir: `/models/${id}`, parameters: 1, contextLength: 512, sizeBytes: 1, spec: {}, isBundled: false, gguf };
}

test('model ids: names, library ids, @precision, and a GGUF model by its own type', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-api-ids-'));
  const store = openStore(databaseFileIn(dir));
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  store.models.upsert(model('m1', 'Poet'));
  store.models.upsert(model('m2', 'Qwen Q4', { fileType: 'Q4_K_M', weightBytes: 1, copied: false }));

  const ids = listApiModels(store).map((m) => m.id);
  assert.deepEqual(ids.filter((id) => id.startsWith('Poet')), ['Poet', 'Poet@fp32', 'Poet@fp16', 'Poet@int8', 'Poet@int4']);
  assert.deepEqual(ids.filter((id) => id.startsWith('Qwen')), ['Qwen Q4', 'Qwen Q4@q4_k_m', 'Qwen Q4@fp16', 'Qwen Q4@int8', 'Qwen Q4@int4']);

  assert.deepEqual(resolveApiModel(store, 'Poet'), { modelId: 'm1', precision: null });
  assert.deepEqual(resolveApiModel(store, 'm1'), { modelId: 'm1', precision: null }, 'the library id');
  assert.deepEqual(resolveApiModel(store, 'poet@INT4'), { modelId: 'm1', precision: 'int4' }, 'case is not significant');
  assert.deepEqual(resolveApiModel(store, 'm1@fp16'), { modelId: 'm1', precision: 'fp16' });
  assert.deepEqual(resolveApiModel(store, 'Qwen Q4@q4_k_m'), { modelId: 'm2', precision: 'fp32' }, 'the as-downloaded build');
  assert.deepEqual(resolveApiModel(store, 'Qwen Q4@fp32'), { modelId: 'm2', precision: 'fp32' });

  assert.throws(() => resolveApiModel(store, 'Poet@int3'), (error: unknown) => error instanceof ApiError && error.code === 'not-found' && /'int3' is not a precision/.test(error.message));
  assert.throws(() => resolveApiModel(store, 'gpt-4o'), (error: unknown) => error instanceof ApiError && error.code === 'not-found' && /models: Poet, Qwen Q4/.test(error.message));
});
