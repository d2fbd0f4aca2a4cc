// The desktop app's /v1-only server, started from the settings with real services (SQLite store,
// the bundled demo model in the library): it answers /v1 with the key, refuses the app's /api and
// its pages, takes the next port when the stored one is taken, and tells the Local server page
// where it listens.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { openTestServices, type TestServices } from '../../services/services-test-support.ts';
import { DEFAULT_API_PORT } from '../../services/local-server-settings.ts';
import { send } from '../web-shell-test-support.ts';
import { startApiServerFromSettings, type ApiServer } from './api-server.ts';

const DEMO = 'Shakespeare 5M (demo)';

describe('the /v1-only API server', () => {
  let test: TestServices;
  let server: ApiServer;
  let taken: Server;
  let takenPort: number;
  let key: string;

  before(async () => {
    test = await openTestServices();
    assert.equal(test.services.localServer.apiPort(), DEFAULT_API_PORT, 'the default port');
    // Another program holds the stored port: the server takes the next free one.
    taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    takenPort = (taken.address() as { port: number }).port;
    test.services.localServer.setApiPort(takenPort);
    server = await startApiServerFromSettings(test.services.openai, test.services.localServer, () => {});
    key = test.services.localServer.apiKey();
  });

  after(async () => {
    await server?.close();
    await new Promise<void>((done) => (taken ? taken.close(() => done()) : done()));
    await test?.cleanup();
  });

  it('listens on the next free port after a taken one, on 127.0.0.1, and announces it', () => {
    assert.ok(server.port > takenPort && server.port < takenPort + 20, `port ${server.port} after ${takenPort}`);
    assert.equal(server.address.address, '127.0.0.1');
    assert.equal(server.baseUrl, `http://127.0.0.1:${server.port}/v1`);
    const info = test.services.localServer.info();
    assert.equal(info.apiBaseUrl, server.baseUrl, 'the Local server page shows the live address');
    assert.equal(info.webShellUrl, null, 'no web shell in the desktop app');
  });

  it('lists the models with the key, and refuses a missing key, a wrong key and a foreign Host', async () => {
    const ok = await send(server, { path: '/v1/models', headers: { Authorization: `Bearer ${key}` } });
    assert.equal(ok.status, 200);
    const ids = (JSON.parse(ok.body) as { data: { id: string }[] }).data.map((m) => m.id);
    assert.ok(ids.includes(DEMO) && ids.includes(`${DEMO}@int4`), ids.join(', '));

    assert.equal((await send(server, { path: '/v1/models' })).status, 401);
    assert.equal((await send(server, { path: '/v1/models', headers: { Authorization: 'Bearer hearth-wrong' } })).status, 401);
    const rebound = await send(server, { path: '/v1/models', headers: { Authorization: `Bearer ${key}`, Host: `evil.example:${server.port}` } });
    assert.equal(rebound.status, 403, 'DNS rebinding is refused as on the web shell');
  });

  it("refuses the app's /api and its pages, even with the key", async () => {
    const auth = { Authorization: `Bearer ${key}` };
    const attempts = [
      { method: 'POST', path: '/api/server.info', headers: { ...auth, 'Content-Type': 'application/json' }, body: '{}' },
      { method: 'GET', path: '/api/events', headers: auth },
      { method: 'GET', path: '/', headers: auth },
      { method: 'GET', path: '/index.html', headers: auth },
      { method: 'GET', path: '/v1x/models', headers: auth },
    ];
    for (const attempt of attempts) {
      const answer = await send(server, attempt);
      assert.equal(answer.status, 404, `${attempt.method} ${attempt.path}`);
      const body = JSON.parse(answer.body) as { error: { message: string; code: string } };
      assert.equal(body.error.code, 'unknown_url');
      assert.match(body.error.message, /only Hearth's OpenAI-compatible API/);
      assert.doesNotMatch(answer.body, /apiKey|hearth-/, 'nothing of the app leaks');
    }
  });

  it('stops when closed, and the page no longer shows an address', async () => {
    const { port } = server;
    await server.close();
    assert.equal(test.services.localServer.info().apiBaseUrl, null);
    await assert.rejects(send({ port }, { path: '/v1/models' }), /ECONNREFUSED/);
  });
});

describe('the /v1-only API server with the local network on', () => {
  it('listens on every interface and answers to the machine\'s names, with the key', async (t) => {
    const test = await openTestServices();
    t.after(() => test.cleanup());
    test.services.localServer.setLocalNetwork(true);
    test.services.localServer.setApiPort(DEFAULT_API_PORT);
    const server = await startApiServerFromSettings(test.services.openai, test.services.localServer, () => {});
    t.after(() => server.close());
    assert.equal(server.address.address, '0.0.0.0');
    assert.ok(server.port >= DEFAULT_API_PORT);
    const [name] = server.networkHosts;
    if (name === undefined) return t.skip('this machine has no name or address on a network');
    const key = test.services.localServer.apiKey();
    const answer = await send(server, { path: '/v1/models', headers: { Authorization: `Bearer ${key}`, Host: `${name}:${server.port}` } });
    assert.equal(answer.status, 200);
    assert.equal((await send(server, { path: '/v1/models', headers: { Host: `${name}:${server.port}` } })).status, 401, 'the key is still required');
  });
});
