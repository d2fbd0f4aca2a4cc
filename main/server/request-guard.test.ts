import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { tokenCookieName } from './access-token.ts';
import { bearer, fakeBackend, send, startTestShell, TEST_TOKEN } from './web-shell-test-support.ts';
import type { WebShell } from './web-shell-server.ts';

describe('web shell request guard', () => {
  let shell: WebShell;
  before(async () => {
    shell = await startTestShell(fakeBackend({ 'conversations.list': async () => [] }).backend);
  });
  after(() => shell.close());

  const listConversations = (headers: Record<string, string>) =>
    send(shell, { method: 'POST', path: '/api/conversations.list', headers: { 'Content-Type': 'application/json', ...headers }, body: '{}' });

  it('listens on 127.0.0.1 only and prints the token in its URL', async () => {
    assert.deepEqual({ address: shell.address.address, family: shell.address.family }, { address: '127.0.0.1', family: 'IPv4' });
    // Another address of this machine, where there is one, must refuse the connection.
    const other = Object.values(networkInterfaces())
      .flat()
      .find((info) => info && !info.internal && info.family === 'IPv4');
    if (other) {
      const reached = await new Promise<boolean>((resolve) => {
        const socket = connect({ host: other.address, port: shell.port }, () => {
          socket.destroy();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      });
      assert.equal(reached, false, `the server answered on ${other.address}`);
    }
    assert.match(shell.url, new RegExp(`^http://127\\.0\\.0\\.1:${shell.port}/\\?token=${TEST_TOKEN}$`));
    assert.equal(shell.origin, `http://127.0.0.1:${shell.port}`);
  });

  it('answers 401 to a page or API request without a token', async () => {
    assert.equal((await send(shell, { path: '/' })).status, 401);
    assert.equal((await send(shell, { path: '/assets/app.js' })).status, 401);
    assert.equal((await send(shell, { path: '/api/events' })).status, 401);
    const api = await listConversations({});
    assert.equal(api.status, 401);
    assert.match(api.body, /hearth serve/);
  });

  it('answers 401 to a wrong token in the header, the cookie or the address', async () => {
    assert.equal((await listConversations(bearer('x'.repeat(43)))).status, 401);
    assert.equal((await listConversations(bearer(`${TEST_TOKEN}x`))).status, 401);
    assert.equal((await listConversations({ Cookie: `${tokenCookieName(shell.port)}=${'y'.repeat(43)}` })).status, 401);
    const page = await send(shell, { path: `/?token=${'z'.repeat(43)}` });
    assert.equal(page.status, 401);
    assert.equal(page.headers['set-cookie'], undefined);
  });

  it('accepts the token as a bearer header', async () => {
    const answer = await listConversations(bearer());
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), { ok: true, value: [] });
  });

  it('moves a page address token into an HttpOnly SameSite=Strict cookie and strips it from the address', async () => {
    const redirect = await send(shell, { path: `/chat?token=${TEST_TOKEN}&x=1` });
    assert.equal(redirect.status, 303);
    assert.equal(redirect.headers.location, '/chat?x=1');
    const cookie = redirect.headers['set-cookie']?.[0] ?? '';
    assert.match(cookie, new RegExp(`^${tokenCookieName(shell.port)}=${TEST_TOKEN};`));
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\//);

    const root = await send(shell, { path: `/?token=${TEST_TOKEN}` });
    assert.equal(root.headers.location, '/');

    // The cookie alone now opens pages and the API.
    const pair = cookie.split(';')[0];
    assert.equal((await send(shell, { path: '/', headers: { Cookie: `other=1; ${pair}` } })).status, 200);
    assert.equal((await listConversations({ Cookie: pair })).status, 200);
  });

  it('keeps a redirect on this server even for a path that starts with //', async () => {
    const redirect = await send(shell, { path: `//evil.example/x?token=${TEST_TOKEN}` });
    assert.equal(redirect.status, 303);
    assert.equal(redirect.headers.location, '/evil.example/x');
  });

  it('answers 403 to a foreign Host (DNS rebinding), even with the right token', async () => {
    for (const host of [`evil.example:${shell.port}`, 'evil.example', `127.0.0.1:${shell.port + 1}`, `127.0.0.1.evil.example:${shell.port}`]) {
      const answer = await send(shell, { path: '/', headers: { Host: host, ...bearer() } });
      assert.equal(answer.status, 403, host);
    }
    const api = await listConversations({ Host: `evil.example:${shell.port}`, ...bearer() });
    assert.equal(api.status, 403);
    const redirect = await send(shell, { path: `/?token=${TEST_TOKEN}`, headers: { Host: `evil.example:${shell.port}` } });
    assert.equal(redirect.status, 403);
    assert.equal(redirect.headers['set-cookie'], undefined);
  });

  it('accepts localhost:PORT as Host', async () => {
    assert.equal((await listConversations({ Host: `localhost:${shell.port}`, ...bearer() })).status, 200);
  });

  it('answers 403 to a foreign Origin and accepts its own', async () => {
    for (const origin of ['http://evil.example', `http://evil.example:${shell.port}`, 'null', `https://127.0.0.1:${shell.port}`, `http://127.0.0.1:${shell.port + 1}`]) {
      assert.equal((await listConversations({ Origin: origin, ...bearer() })).status, 403, origin);
    }
    assert.equal((await listConversations({ Origin: shell.origin, ...bearer() })).status, 200);
    assert.equal((await listConversations({ Origin: `http://localhost:${shell.port}`, ...bearer() })).status, 200);
  });

  it('sends the security headers on refusals too', async () => {
    const refused = await send(shell, { path: '/' });
    assert.match(String(refused.headers['content-security-policy']), /default-src 'none'/);
    assert.equal(refused.headers['x-content-type-options'], 'nosniff');
  });
});
