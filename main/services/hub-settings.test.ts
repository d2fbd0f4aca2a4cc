import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../common/contracts/api-error.ts';
import { databaseFileIn, openStore, type Store } from '../store/store.ts';
import { HubSettingsService, maskToken } from './hub-settings.ts';

function tempStore(t: TestContext): Store {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-hub-settings-'));
  const store = openStore(databaseFileIn(dir));
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

const TOKEN = 'hf_abcdefghijklmnopqrstuvwxyz1234';

test('the settings give the endpoint and token; HF_ENDPOINT and HF_TOKEN win; the token goes out only masked', (t) => {
  const store = tempStore(t);
  const plain = new HubSettingsService(store, {});
  assert.deepEqual(plain.get(), { endpoint: 'https://huggingface.co', endpointSource: 'default', storedEndpoint: null, token: { masked: null, source: null } });

  const saved = plain.set({ endpoint: 'https://mirror.example/hf/', token: TOKEN });
  assert.deepEqual(saved, { endpoint: 'https://mirror.example/hf', endpointSource: 'settings', storedEndpoint: 'https://mirror.example/hf', token: { masked: 'hf_…1234', source: 'settings' } });
  assert.ok(!JSON.stringify(saved).includes(TOKEN));
  assert.equal(plain.endpoint().headersFor('https://mirror.example/hf/api/models').Authorization, `Bearer ${TOKEN}`, 'the token is used, to its own Hub only');
  assert.equal(plain.endpoint().headersFor('https://cdn.example/x').Authorization, undefined);

  const fromEnv = new HubSettingsService(store, { HF_ENDPOINT: 'http://127.0.0.1:9', HF_TOKEN: 'hf_environment_token_5678' });
  assert.deepEqual(fromEnv.get(), { endpoint: 'http://127.0.0.1:9', endpointSource: 'environment', storedEndpoint: 'https://mirror.example/hf', token: { masked: 'hf_…5678', source: 'environment' } });

  assert.deepEqual(plain.set({ token: null, endpoint: null }).token, { masked: null, source: null });
  assert.equal(plain.get().endpointSource, 'default');
});

test('an endpoint that is not an http(s) address is refused, naming it; nothing is stored', (t) => {
  const store = tempStore(t);
  const settings = new HubSettingsService(store, {});
  assert.throws(() => settings.set({ endpoint: 'ftp://mirror.example' }), (e: unknown) => e instanceof ApiError && e.code === 'invalid-input' && e.message.includes('ftp://mirror.example'));
  assert.equal(settings.get().endpointSource, 'default');
  assert.equal(maskToken('short'), '…', 'a short secret shows nothing of itself');
});
