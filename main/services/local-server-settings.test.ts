import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestServices } from './services-test-support.ts';

test('the API key is kept across launches; CORS origins are checked and stored lower-case', async () => {
  const first = await openTestServices();
  const key = first.services.localServer.apiKey();
  assert.match(key, /^hearth-[A-Za-z0-9_-]{43}$/);
  await first.services.handlers['server.setCorsOrigins']({ origins: ['HTTP://LocalHost:3000'] });
  await first.services.close();

  const second = await openTestServices(undefined, first.dataDir);
  try {
    const info = await second.services.handlers['server.info']({});
    assert.equal(info.apiKey, key, 'the same key after a restart');
    assert.deepEqual(info.corsOrigins, ['http://localhost:3000']);
    assert.equal(info.apiBaseUrl, null, 'no server announced in this process');
    second.services.localServer.announce('http://127.0.0.1:1234/v1');
    assert.equal((await second.services.handlers['server.info']({})).apiBaseUrl, 'http://127.0.0.1:1234/v1');
    await assert.rejects(second.services.handlers['server.setCorsOrigins']({ origins: ['http://localhost:3000/path'] }), /origin/);
  } finally {
    await second.cleanup();
  }
});
