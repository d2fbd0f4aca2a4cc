import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiHandlers } from './api.ts';
import { ApiError } from './api-error.ts';
import { answerApiCall } from './api-call.ts';

/** Handlers where every method fails loudly unless the test replaces it. */
function handlers(overrides: Partial<ApiHandlers>): ApiHandlers {
  return new Proxy(overrides, {
    get: (target, name) => (target as Record<string | symbol, unknown>)[name] ?? (async () => assert.fail(`unexpected call to ${String(name)}`)),
  }) as ApiHandlers;
}

test('runs a valid call and returns its validated output', async () => {
  const result = await answerApiCall(
    handlers({ 'conversations.rename': async (input) => (assert.equal(input.title.length > 0, true), { done: true }) }),
    'conversations.rename',
    { conversationId: 'c1', title: 'Sonnets' },
  );
  assert.deepEqual(result, { ok: true, value: { done: true } });
});

test('refuses unknown methods and prototype names before any service runs', async () => {
  for (const method of ['nope', '__proto__', 'constructor', 42, null]) {
    const result = await answerApiCall(handlers({}), method, {});
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'not-found');
  }
});

test('refuses input that breaks the schema, naming the method', async () => {
  const result = await answerApiCall(handlers({}), 'conversations.rename', { conversationId: 5 });
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.error.code, 'invalid-input');
  assert.match(!result.ok ? result.error.message : '', /conversations\.rename/);
});

test('turns an ApiError into error data and anything else into an internal error', async () => {
  const missing = await answerApiCall(
    handlers({ 'conversations.delete': async () => Promise.reject(new ApiError('not-found', 'No conversation c9.')) }),
    'conversations.delete',
    { conversationId: 'c9' },
  );
  assert.deepEqual(missing, { ok: false, error: { code: 'not-found', message: 'No conversation c9.' } });
  const broken = await answerApiCall(
    handlers({ 'conversations.delete': async () => Promise.reject(new Error('disk on fire')) }),
    'conversations.delete',
    { conversationId: 'c9' },
  );
  assert.equal(!broken.ok && broken.error.code, 'internal');
  assert.doesNotMatch(!broken.ok ? broken.error.message : '', /disk on fire/, 'internal details stay in the log');
  const logged: string[] = [];
  await answerApiCall(handlers({ 'conversations.delete': async () => Promise.reject(new Error('disk on fire')) }), 'conversations.delete', { conversationId: 'c9' }, (m) => logged.push(m));
  assert.match(logged.join('\n'), /disk on fire/);
});

test('refuses output that breaks the contract instead of sending it on', async () => {
  const result = await answerApiCall(
    handlers({ 'conversations.delete': async () => ({ done: false }) as unknown as { done: true } }),
    'conversations.delete',
    { conversationId: 'c1' },
  );
  assert.equal(!result.ok && result.error.code, 'internal');
});
