// Requests that are not HTTP Node can parse, or that the client abandons, sent as raw bytes:
// each gets Node's status with the API's envelope and the security headers, and none leaves an
// internal error in the server log.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { fakeBackend, startTestShell, TEST_TOKEN } from './web-shell-test-support.ts';
import type { WebShell } from './web-shell-server.ts';

interface RawAnswer {
  status: number;
  head: string;
  body: string;
}

describe('web shell requests that are not HTTP', () => {
  let shell: WebShell & { logs: string[] };
  before(async () => {
    shell = await startTestShell(fakeBackend({ 'conversations.list': async () => [] }).backend, { requestTimeoutMs: 400 });
  });
  after(() => shell.close());

  /** Writes `text`, half-closes, and reads until the server closes. */
  function exchange(text: string): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: shell.port, allowHalfOpen: true });
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', reject);
      socket.on('close', () => {
        const reply = Buffer.concat(chunks).toString('utf8');
        const [head, ...body] = reply.split('\r\n\r\n');
        resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body: body.join('\r\n\r\n') });
      });
      socket.end(text);
    });
  }

  const headers = () => `Host: 127.0.0.1:${shell.port}\r\nAuthorization: Bearer ${TEST_TOKEN}\r\nContent-Type: application/json\r\n`;
  const envelopeOf = (answer: RawAnswer) => JSON.parse(answer.body) as { ok: boolean; error: { code: string; message: string } };

  it('answers an unknown method, a control character in a header and a garbled chunk with 400 and an envelope', async () => {
    for (const request of [
      `FOO /api/conversations.list HTTP/1.1\r\n${headers()}\r\n`,
      `POST /api/conversations.list HTTP/1.1\r\n${headers()}X-Bad: a\u0001b\r\nContent-Length: 2\r\n\r\n{}`,
      `POST /api/conversations.list HTTP/1.1\r\n${headers()}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    ]) {
      const answer = await exchange(request);
      assert.equal(answer.status, 400, request);
      assert.deepEqual(envelopeOf(answer).ok, false);
      assert.equal(envelopeOf(answer).error.code, 'invalid-input');
      assert.match(envelopeOf(answer).error.message, /not valid HTTP\/1\.1 \(HPE_/);
      assert.match(answer.head, /Content-Security-Policy: default-src 'none'/);
      assert.match(answer.head, /Connection: close/);
    }
  });

  it('answers 431 to headers too large', async () => {
    const answer = await exchange(`GET /api/events HTTP/1.1\r\n${headers()}X-Big: ${'h'.repeat(20_000)}\r\n\r\n`);
    assert.equal(answer.status, 431);
    assert.match(envelopeOf(answer).error.message, /headers are too large/);
  });

  it('answers 400 to a body cut short by a client that closed its side, and logs no internal error', async () => {
    const logged = shell.logs.length;
    const declared = await exchange(`POST /api/conversations.list HTTP/1.1\r\n${headers()}Content-Length: 100\r\n\r\n{"a":1`);
    const chunked = await exchange(`POST /api/conversations.list HTTP/1.1\r\n${headers()}Transfer-Encoding: chunked\r\n\r\n10\r\n{"a":1`);
    for (const answer of [declared, chunked]) {
      assert.equal(answer.status, 400);
      assert.equal(envelopeOf(answer).error.code, 'invalid-input');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(shell.logs.slice(logged), []);
  });

  it('lets the guard answer a request without Host (403, with an envelope under /api/)', async () => {
    const answer = await exchange(`POST /api/conversations.list HTTP/1.1\r\nAuthorization: Bearer ${TEST_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
    assert.equal(answer.status, 403);
    assert.match(answer.body, /"ok":false/);
    assert.match(answer.body, /not to Host ''/);
  });

  it('answers 408 to a body that stops arriving while the client waits, instead of holding the connection', async () => {
    const answer = await new Promise<RawAnswer>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: shell.port });
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', reject);
      socket.on('close', () => {
        const [head, ...body] = Buffer.concat(chunks).toString('utf8').split('\r\n\r\n');
        resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body: body.join('\r\n\r\n') });
      });
      // 6 of the 100 bytes declared, and the socket left open: only the server's timeout ends it.
      socket.write(`POST /api/conversations.list HTTP/1.1\r\n${headers()}Content-Length: 100\r\n\r\n{"a":1`);
    });
    assert.equal(answer.status, 408);
    assert.match(envelopeOf(answer).error.message, /did not arrive in time/);
  });
});
