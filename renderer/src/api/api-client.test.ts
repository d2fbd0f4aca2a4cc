import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../../main/common/contracts/api-error.ts';
import type { HearthBridge } from '../bridge/hearth-bridge.ts';
import { ApiClient, errorMessage } from './api-client.ts';

/** A bridge that answers each call with a fixed envelope and lets the test push events. */
function fakeBridge(answer: (method: string, input: unknown) => unknown) {
  const calls: { method: string; input: unknown }[] = [];
  const listeners = new Set<(event: unknown) => void>();
  const bridge: HearthBridge = {
    async call(method, input) {
      calls.push({ method, input });
      return answer(method, input);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const emit = (event: unknown) => listeners.forEach((l) => l(event));
  return { bridge, calls, emit, listeners };
}

const model = {
  id: 'm1',
  name: 'shakespeare-5m',
  architecture: 'llama',
  parameters: 5_000_000,
  contextLength: 256,
  sizeOnDiskBytes: 20_000_000,
  bundled: true,
  variants: [],
};

test('a successful envelope resolves to the validated value', async () => {
  const { bridge, calls } = fakeBridge(() => ({ ok: true, value: [model] }));
  const client = new ApiClient(bridge, () => {});
  const models = await client.call('models.list', {});
  assert.equal(models[0].name, 'shakespeare-5m');
  assert.deepEqual(calls, [{ method: 'models.list', input: {} }]);
});

test('an error envelope becomes a thrown ApiError with its code and the message for the user', async () => {
  const message = 'config.json in /tmp/broken is not valid JSON (line 3): fix or replace the file, then import again.';
  const { bridge } = fakeBridge(() => ({ ok: false, error: { code: 'model-invalid', message } }));
  const client = new ApiClient(bridge, () => {});
  await assert.rejects(client.call('models.import', { path: '/tmp/broken' }), (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.code, 'model-invalid');
    assert.equal(error.message, message);
    assert.equal(errorMessage(error), message);
    return true;
  });
});

test('an answer that breaks the output contract is refused and logged', async () => {
  const logged: string[] = [];
  const { bridge } = fakeBridge(() => ({ ok: true, value: [{ ...model, parameters: 'many' }] }));
  const client = new ApiClient(bridge, (m) => logged.push(m));
  await assert.rejects(client.call('models.list', {}), (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.code, 'internal');
    assert.match(error.message, /models\.list/);
    return true;
  });
  assert.equal(logged.length, 1);
});

test('input that breaks the input contract is refused before it is sent', async () => {
  const { bridge, calls } = fakeBridge(() => ({ ok: true, value: { done: true } }));
  const client = new ApiClient(bridge, () => {});
  // @ts-expect-error: the title must be a string; the client must refuse it even from untyped code
  await assert.rejects(client.call('conversations.rename', { conversationId: 'c1', title: 42 }), (e: unknown) => e instanceof ApiError && e.code === 'invalid-input');
  assert.equal(calls.length, 0);
});

test('a transport failure becomes an ApiError that says what could not be reached', async () => {
  const bridge: HearthBridge = {
    call: async () => {
      throw new Error('connection refused');
    },
    subscribe: () => () => {},
  };
  const client = new ApiClient(bridge, () => {});
  await assert.rejects(client.call('app.status', {}), /connection refused/);
});

test('events are validated: valid ones reach the listener, invalid ones are logged and dropped', () => {
  const logged: unknown[] = [];
  const { bridge, emit, listeners } = fakeBridge(() => null);
  const client = new ApiClient(bridge, (_m, detail) => logged.push(detail));
  const received: unknown[] = [];
  const unsubscribe = client.onEvent((e) => received.push(e));
  emit({ type: 'chat.token', conversationId: 'c1', messageId: 'a1', text: 'Hello' });
  emit({ type: 'chat.token', conversationId: 'c1', text: 'no message id' });
  emit({ type: 'no.such.event' });
  assert.deepEqual(received, [{ type: 'chat.token', conversationId: 'c1', messageId: 'a1', text: 'Hello' }]);
  assert.equal(logged.length, 2);
  unsubscribe();
  assert.equal(listeners.size, 0);
});

test('the file picker is offered only where the bridge has one, and its answer is checked', async () => {
  const web = new ApiClient(fakeBridge(() => null).bridge, () => {});
  assert.equal(web.canPickPaths, false, 'the web shell types paths');
  await assert.rejects(web.pickPath({ kind: 'folder', title: 'Model folder' }), /no file picker/);

  const requests: unknown[] = [];
  let answer: unknown = { ok: true, value: { path: '/models/qwen' } };
  const desktop = new ApiClient({ ...fakeBridge(() => null).bridge, pickPath: async (request) => (requests.push(request), answer) }, () => {});
  assert.equal(desktop.canPickPaths, true);
  assert.equal(await desktop.pickPath({ kind: 'folder', title: 'Model folder' }), '/models/qwen');
  assert.deepEqual(requests, [{ kind: 'folder', title: 'Model folder' }]);
  answer = { ok: true, value: { path: null } };
  assert.equal(await desktop.pickPath({ kind: 'folder', title: 'Model folder' }), null, 'cancelled');
  answer = { ok: true, value: { path: 42 } };
  await assert.rejects(desktop.pickPath({ kind: 'folder', title: 'Model folder' }), /does not understand/);
});
