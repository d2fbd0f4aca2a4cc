import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestServices } from './services-test-support.ts';

test('the API key, the CORS origins (checked, lower-case), the local-network switch (off by default) and the desktop app\'s API port are kept across launches', async () => {
  const first = await openTestServices();
  const key = first.services.localServer.apiKey();
  assert.match(key, /^hearth-[A-Za-z0-9_-]{43}$/);
  await first.services.handlers['server.setCorsOrigins']({ origins: ['HTTP://LocalHost:3000'] });
  assert.equal((await first.services.handlers['server.info']({})).localNetwork, false, '127.0.0.1 only unless the person turns it on');
  assert.equal((await first.services.handlers['server.setLocalNetwork']({ enabled: true })).localNetwork, true);
  await first.services.close();

  const second = await openTestServices(undefined, first.dataDir);
  try {
    const info = await second.services.handlers['server.info']({});
    assert.equal(info.apiKey, key, 'the same key after a restart');
    assert.deepEqual(info.corsOrigins, ['http://localhost:3000']);
    assert.equal(info.localNetwork, true, 'the switch is kept');
    assert.equal(info.apiBaseUrl, null, 'no server announced in this process');
    assert.equal(info.webShellUrl, null);
    const addresses = { apiBaseUrl: 'http://127.0.0.1:1234/v1', webShellUrl: 'http://127.0.0.1:1234/?token=t', networkHosts: ['192.168.1.20'] };
    second.services.localServer.announce(addresses);
    const announced = await second.services.handlers['server.info']({});
    assert.deepEqual([announced.apiBaseUrl, announced.webShellUrl, announced.networkHosts], [addresses.apiBaseUrl, addresses.webShellUrl, addresses.networkHosts]);
    assert.equal((await second.services.handlers['server.setLocalNetwork']({ enabled: false })).localNetwork, false);
    assert.equal(info.apiPort, 8484, "the desktop app's default API port");
    assert.equal((await second.services.handlers['server.setApiPort']({ port: 9123 })).apiPort, 9123);
    assert.equal(second.services.localServer.apiPort(), 9123, 'the port is stored');
    await assert.rejects(second.services.handlers['server.setApiPort']({ port: 80 }), /1024 to 65535/);
    await assert.rejects(second.services.handlers['server.setCorsOrigins']({ origins: ['http://localhost:3000/path'] }), /origin/);
  } finally {
    await second.cleanup();
  }
});
