// Who may call /v1, over real HTTP against real services (store only: no generation here):
// the Host check, browsers' Origin (CORS only for listed origins), the persistent key.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestServices, type TestServices } from '../../services/services-test-support.ts';
import { send, TEST_TOKEN } from '../web-shell-test-support.ts';
import { startWebShell, type WebShell } from '../web-shell-server.ts';

describe('access to the OpenAI-compatible API', () => {
  let test: TestServices;
  let shell: WebShell;
  let key: string;

  before(async () => {
    test = await openTestServices();
    const { services } = test;
    shell = await startWebShell({
      backend: services,
      port: 0,
      staticDir: '/nonexistent-hearth-renderer',
      token: TEST_TOKEN,
      log: () => {},
      openai: { completions: services.openai, apiKey: () => services.localServer.apiKey(), corsOrigins: () => services.localServer.corsOrigins() },
    });
    key = services.localServer.apiKey();
  });

  after(async () => {
    await shell?.close();
    await test?.cleanup();
  });

  const auth = () => ({ Authorization: `Bearer ${key}` });
  const errorOf = (body: string) => (JSON.parse(body) as { error: { type: string; code: string | null; message: string } }).error;

  it('takes the key, and refuses anything else with 401 in OpenAI\'s shape', async () => {
    assert.equal((await send(shell, { path: '/v1/models', headers: auth() })).status, 200);
    const refused: Record<string, string>[] = [{}, { Authorization: 'Bearer wrong' }, { Authorization: `Bearer ${TEST_TOKEN}` }, { Authorization: key }];
    for (const headers of refused) {
      const response = await send(shell, { path: '/v1/models', headers });
      assert.equal(response.status, 401, JSON.stringify(headers));
      assert.equal(errorOf(response.body).type, 'authentication_error');
      assert.match(String(response.headers['content-type']), /^application\/json/);
    }
    // The key does not open the web shell's own API either.
    assert.equal((await send(shell, { method: 'POST', path: '/api/app.status', headers: { ...auth(), 'Content-Type': 'application/json' }, body: '{}' })).status, 401);
  });

  it('answers only to its own Host, whatever the key', async () => {
    const response = await send(shell, { path: '/v1/models', headers: { ...auth(), Host: 'evil.example' } });
    assert.equal(response.status, 403);
    assert.equal(errorOf(response.body).type, 'permission_error');
    assert.equal((await send(shell, { path: '/v1/models', headers: { ...auth(), Host: `localhost:${shell.port}` } })).status, 200);
  });

  it('refuses pages of other origins, and lets the ones the person lists call it with CORS', async () => {
    const page = 'http://localhost:3000';
    const refused = await send(shell, { path: '/v1/models', headers: { ...auth(), Origin: page } });
    assert.equal(refused.status, 403);
    assert.match(errorOf(refused.body).message, /Local server page/);
    assert.equal(refused.headers['access-control-allow-origin'], undefined);

    await test.services.handlers['server.setCorsOrigins']({ origins: [page] });
    const preflight = await send(shell, { method: 'OPTIONS', path: '/v1/chat/completions', headers: { Origin: page, 'Access-Control-Request-Headers': 'authorization, content-type' } });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], page);
    assert.match(String(preflight.headers['access-control-allow-methods']), /POST/);
    const allowed = await send(shell, { path: '/v1/models', headers: { ...auth(), Origin: page } });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers['access-control-allow-origin'], page);
    // Listed, but still without the key: 401, readable by the page.
    const keyless = await send(shell, { path: '/v1/models', headers: { Origin: page } });
    assert.equal(keyless.status, 401);
    assert.equal(keyless.headers['access-control-allow-origin'], page);
    await test.services.handlers['server.setCorsOrigins']({ origins: [] });
    assert.equal((await send(shell, { path: '/v1/models', headers: { ...auth(), Origin: page } })).status, 403);
  });

  it('names unknown paths and wrong methods in OpenAI\'s shape', async () => {
    const unknown = await send(shell, { path: '/v1/embeddings', method: 'POST', headers: auth() });
    assert.equal(unknown.status, 404);
    assert.match(errorOf(unknown.body).message, /\/v1\/chat\/completions/);
    assert.equal((await send(shell, { path: '/v1/chat/completions', headers: auth() })).status, 405);
    const notJson = await send(shell, { path: '/v1/chat/completions', method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json' }, body: '{oops' });
    assert.equal(notJson.status, 400);
    assert.equal(errorOf(notJson.body).code, 'invalid_json');
  });

  it('reads the same key again, and a new key shuts out the old one', async () => {
    assert.equal(test.services.localServer.apiKey(), key, 'the same key is read again');
    const info = await test.services.handlers['server.newApiKey']({});
    assert.notEqual(info.apiKey, key);
    assert.equal((await send(shell, { path: '/v1/models', headers: auth() })).status, 401);
    key = info.apiKey;
    assert.equal((await send(shell, { path: '/v1/models', headers: auth() })).status, 200);
  });
});

describe('the local network, when the person turns it on', () => {
  const LAN = ['hearth-box.local', '192.168.1.20'];
  let test: TestServices;
  let loopback: WebShell;
  let lan: WebShell;
  let key: string;

  before(async () => {
    test = await openTestServices();
    const { services } = test;
    const options = {
      backend: services,
      port: 0,
      staticDir: '/nonexistent-hearth-renderer',
      token: TEST_TOKEN,
      log: () => {},
      openai: { completions: services.openai, apiKey: () => services.localServer.apiKey(), corsOrigins: () => services.localServer.corsOrigins() },
    };
    loopback = await startWebShell(options);
    lan = await startWebShell({ ...options, localNetwork: { hosts: LAN } });
    key = services.localServer.apiKey();
  });

  after(async () => {
    await loopback?.close();
    await lan?.close();
    await test?.cleanup();
  });

  it('listens on 127.0.0.1 only by default, and refuses the machine\'s network names there', async () => {
    assert.equal(loopback.address.address, '127.0.0.1');
    assert.deepEqual(loopback.networkHosts, []);
    const refused = await send(loopback, { path: '/v1/models', headers: { Authorization: `Bearer ${key}`, Host: `192.168.1.20:${loopback.port}` } });
    assert.equal(refused.status, 403);
    assert.equal((await send(loopback, { path: '/', headers: { Authorization: `Bearer ${TEST_TOKEN}`, Host: `hearth-box.local:${loopback.port}` } })).status, 403);
  });

  it('then listens on every interface and answers to the allowed names, the key and the token still required', async () => {
    assert.equal(lan.address.address, '0.0.0.0');
    assert.deepEqual(lan.networkHosts, LAN);
    for (const host of LAN) {
      const headers = { Host: `${host}:${lan.port}` };
      assert.equal((await send(lan, { path: '/v1/models', headers: { ...headers, Authorization: `Bearer ${key}` } })).status, 200, host);
      assert.equal((await send(lan, { path: '/v1/models', headers })).status, 401, `${host}: no key`);
      // A page the web shell serves at that name may call /v1 (its own origin) and the shell's API with the token.
      assert.equal((await send(lan, { path: '/v1/models', headers: { ...headers, Origin: `http://${host}:${lan.port}`, Authorization: `Bearer ${key}` } })).status, 200);
      const shellApi = await send(lan, { method: 'POST', path: '/api/app.status', headers: { ...headers, Authorization: `Bearer ${TEST_TOKEN}`, 'Content-Type': 'application/json' }, body: '{}' });
      assert.equal(shellApi.status, 200, `${host}: the web shell with its token`);
      assert.equal((await send(lan, { method: 'POST', path: '/api/app.status', headers: { ...headers, 'Content-Type': 'application/json' }, body: '{}' })).status, 401);
    }
    // Any other name is still refused (DNS rebinding), and so are other origins.
    const rebound = await send(lan, { path: '/v1/models', headers: { Host: `evil.example:${lan.port}`, Authorization: `Bearer ${key}` } });
    assert.equal(rebound.status, 403);
    assert.match(JSON.parse(rebound.body).error.message, /192\.168\.1\.20/);
    assert.equal((await send(lan, { path: '/v1/models', headers: { Host: `192.168.1.20:${lan.port}`, Origin: 'http://192.168.1.99:3000', Authorization: `Bearer ${key}` } })).status, 403);
  });
});
