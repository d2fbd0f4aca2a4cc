import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../common/contracts/api-error.ts';
import { MAX_BODY_BYTES, MAX_DRAIN_BYTES } from './api-route.ts';
import { bearer, callApi, fakeBackend, send, startTestShell } from './web-shell-test-support.ts';
import type { WebShell } from './web-shell-server.ts';

const summary = { id: 'c1', title: 'Sonnets', modelId: 'shakespeare-5m', precision: 'int8', updatedAt: 1700000000000 };

describe('web shell API calls', () => {
  let shell: WebShell & { logs: string[] };
  const received: unknown[] = [];
  before(async () => {
    const { backend } = fakeBackend({
      'conversations.list': async () => [summary],
      'conversations.rename': async (input: unknown) => {
        received.push(input);
        return { done: true };
      },
      'conversations.get': async () => Promise.reject(new ApiError('not-found', 'no conversation c9: it may have been deleted')),
      // Output that fails its schema: a bug the transport must catch.
      'models.list': async () => [{ id: 'm1', name: 'broken' }],
      'chat.stop': async () => Promise.reject(new Error('secret detail at /home/user/.hearth')),
    });
    shell = await startTestShell(backend);
  });
  after(() => shell.close());

  const envelope = (body: string) => JSON.parse(body) as { ok: boolean; value?: unknown; error?: { code: string; message: string } };

  it('returns the handler value in an ok envelope, never cached', async () => {
    const answer = await callApi(shell, 'conversations.list', {});
    assert.equal(answer.status, 200);
    assert.deepEqual(envelope(answer.body), { ok: true, value: [summary] });
    assert.equal(answer.headers['cache-control'], 'no-store');
    assert.match(String(answer.headers['content-type']), /^application\/json/);
    assert.match(String(answer.headers['content-security-policy']), /default-src 'none'/);
  });

  it('passes the parsed input to the handler, with unknown fields stripped', async () => {
    const answer = await callApi(shell, 'conversations.rename', { conversationId: 'c1', title: 'Odes', extra: 'dropped' });
    assert.deepEqual(envelope(answer.body), { ok: true, value: { done: true } });
    assert.deepEqual(received.at(-1), { conversationId: 'c1', title: 'Odes' });
  });

  it('treats an empty body as {}', async () => {
    const answer = await send(shell, { method: 'POST', path: '/api/conversations.list', headers: { ...bearer(), 'Content-Type': 'application/json' } });
    assert.deepEqual(envelope(answer.body), { ok: true, value: [summary] });
  });

  it('answers invalid-input naming the fields when the input fails its schema, without calling the handler', async () => {
    const before = received.length;
    const answer = await callApi(shell, 'conversations.rename', { conversationId: 5, title: '' });
    assert.equal(answer.status, 200);
    const { ok, error } = envelope(answer.body);
    assert.equal(ok, false);
    assert.equal(error?.code, 'invalid-input');
    assert.match(error?.message ?? '', /conversations\.rename/);
    assert.match(error?.message ?? '', /conversationId: /);
    assert.match(error?.message ?? '', /title: /);
    assert.equal(received.length, before);
  });

  it('answers 404 not-found for an unknown method', async () => {
    for (const method of ['conversations.nuke', 'constructor', '__proto__', 'toString']) {
      const answer = await callApi(shell, method, {});
      assert.equal(answer.status, 404, method);
      const { ok, error } = envelope(answer.body);
      assert.equal(ok, false);
      assert.equal(error?.code, 'not-found');
      assert.match(error?.message ?? '', new RegExp(`no API method '${method.replace(/[.$]/g, '\\$&')}'`));
    }
  });

  it("passes an ApiError's code and message through", async () => {
    const answer = await callApi(shell, 'conversations.get', { conversationId: 'c9' });
    assert.deepEqual(envelope(answer.body), { ok: false, error: { code: 'not-found', message: 'no conversation c9: it may have been deleted' } });
  });

  it('answers internal when the output fails its schema, with the details only in the log', async () => {
    const answer = await callApi(shell, 'models.list', {});
    const { ok, error } = envelope(answer.body);
    assert.equal(ok, false);
    assert.equal(error?.code, 'internal');
    assert.match(error?.message ?? '', /models\.list/);
    assert.doesNotMatch(answer.body, /broken|architecture/);
    assert.ok(shell.logs.some((line) => /models\.list returned data that does not match/.test(line) && /architecture/.test(line)));
  });

  it('answers internal with a safe message, and no stack, when a handler throws something else', async () => {
    const answer = await callApi(shell, 'chat.stop', { conversationId: 'c1' });
    const { error } = envelope(answer.body);
    assert.equal(error?.code, 'internal');
    assert.doesNotMatch(answer.body, /secret detail|\.hearth|at .*\.ts/);
    assert.ok(shell.logs.some((line) => line.includes('secret detail')));
  });

  it('refuses other HTTP methods, other content types and malformed JSON with an envelope', async () => {
    const get = await send(shell, { path: '/api/conversations.list', headers: bearer() });
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST');
    assert.equal(envelope(get.body).error?.code, 'invalid-input');

    const text = await send(shell, { method: 'POST', path: '/api/conversations.list', headers: { ...bearer(), 'Content-Type': 'text/plain' }, body: '{}' });
    assert.equal(text.status, 415);
    assert.equal(envelope(text.body).error?.code, 'invalid-input');

    const broken = await send(shell, { method: 'POST', path: '/api/conversations.list', headers: { ...bearer(), 'Content-Type': 'application/json' }, body: '{"a":' });
    assert.equal(broken.status, 400);
    assert.match(envelope(broken.body).error?.message ?? '', /not valid JSON/);
  });

  it('answers 413 to a body far over the limit, declared or streamed, and the client receives it', async () => {
    const headers = { ...bearer(), 'Content-Type': 'application/json' };
    const declared = await send(shell, { method: 'POST', path: '/api/chat.send', headers: { ...headers, 'Content-Length': String(MAX_BODY_BYTES + 1) }, body: '{' });
    assert.equal(declared.status, 413);
    assert.equal(envelope(declared.body).error?.code, 'invalid-input');
    assert.equal(declared.headers.connection, 'close');

    // 4x the limit, sent while the server has already answered: the answer must arrive, not a
    // reset (the server reads and discards the rest before it closes the connection).
    const big = Buffer.alloc(4 * MAX_BODY_BYTES, 'a');
    const target = `${shell.origin}/api/chat.send`;
    const answers = [
      await send(shell, { method: 'POST', path: '/api/chat.send', headers: { ...headers, 'Content-Length': String(big.length) }, body: big }),
      await send(shell, { method: 'POST', path: '/api/chat.send', headers: { ...headers, 'Transfer-Encoding': 'chunked' }, body: big }),
      await fetch(target, { method: 'POST', headers, body: big }).then(async (r) => ({ status: r.status, body: await r.text() })),
      await fetch(target, { method: 'POST', headers, body: inPieces(big), duplex: 'half' } as RequestInit).then(async (r) => ({ status: r.status, body: await r.text() })),
    ];
    for (const [index, answer] of answers.entries()) {
      assert.equal(answer.status, 413, `request ${index}`);
      assert.match(envelope(answer.body).error?.message ?? '', /larger than the 4 MiB limit/);
    }

    // Past the drain cap the server stops reading and closes; the answer, sent first, still arrives.
    const past = Buffer.alloc(MAX_DRAIN_BYTES + 8 * MAX_BODY_BYTES, 'a');
    const capped = await send(shell, { method: 'POST', path: '/api/chat.send', headers: { ...headers, 'Content-Length': String(past.length) }, body: past });
    assert.equal(capped.status, 413);

    // The server still answers afterwards.
    assert.equal((await callApi(shell, 'conversations.list', {})).status, 200);
  });
});

/** A body without a Content-Length: fetch sends a stream chunked. */
function inPieces(bytes: Buffer): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, (offset += 256 * 1024)));
    },
  });
}
