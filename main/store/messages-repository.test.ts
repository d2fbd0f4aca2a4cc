import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConversationsRepository } from './conversations-repository.ts';
import { INTERRUPTED_AT_START_UP, MessagesRepository } from './messages-repository.ts';
import { StoreError } from './store-error.ts';
import { ManualClock, openTestDatabase } from './store-test-support.ts';

test('messages are appended in order and mark their conversation as just used', (t) => {
  const clock = new ManualClock();
  const db = openTestDatabase(t, { now: clock.now });
  const conversations = new ConversationsRepository(db);
  const messages = new MessagesRepository(db);
  const chat = conversations.create({ title: 'chat' });
  clock.advance(500);
  const question = messages.append({ conversationId: chat.id, role: 'user', content: 'Hello' });
  const answer = messages.append({ conversationId: chat.id, role: 'assistant', status: 'streaming', stats: { tokens: 0 } });
  assert.deepEqual([question.position, answer.position], [0, 1]);
  assert.equal(question.status, 'complete');
  assert.equal(answer.content, '');
  assert.deepEqual(answer.stats, { tokens: 0 });
  assert.equal(conversations.get(chat.id)?.updatedAt, clock.now());
  assert.deepEqual(messages.list(chat.id).map((m) => m.id), [question.id, answer.id]);

  assert.throws(
    () => messages.append({ conversationId: 'gone', role: 'user', content: 'x' }),
    (error) => error instanceof StoreError && error.kind === 'not-found' && /conversation gone/.test(error.message),
  );
});

test('update changes only the given fields; deleteFrom drops a message and those after it', (t) => {
  const clock = new ManualClock();
  const db = openTestDatabase(t, { now: clock.now });
  const chat = new ConversationsRepository(db).create({ title: 'chat' });
  const messages = new MessagesRepository(db);
  const answer = messages.append({ conversationId: chat.id, role: 'assistant', status: 'streaming' });
  clock.advance(10);
  assert.equal(messages.updateContent(answer.id, 'Partial'), true);
  assert.equal(messages.setStatus(answer.id, 'error', { error: 'worker crashed' }), true);
  const stored = messages.get(answer.id)!;
  assert.equal(stored.content, 'Partial');
  assert.equal(stored.status, 'error');
  assert.equal(stored.error, 'worker crashed');
  assert.equal(stored.updatedAt, answer.createdAt + 10);
  assert.equal(messages.update(answer.id, { status: 'complete', error: null, stats: { tokens: 3, tokensPerSecond: 12.5 } })?.error, null);
  assert.deepEqual(messages.get(answer.id)?.stats, { tokens: 3, tokensPerSecond: 12.5 });
  assert.equal(messages.updateContent('missing', 'x'), false);

  for (const content of ['b', 'c', 'd']) messages.append({ conversationId: chat.id, role: 'user', content });
  assert.equal(messages.deleteFrom(chat.id, 2), 2);
  assert.deepEqual(messages.list(chat.id).map((m) => m.content), ['Partial', 'b']);
  assert.equal(messages.append({ conversationId: chat.id, role: 'user', content: 'e' }).position, 2, 'positions continue after the last one left');
  assert.equal(messages.delete(answer.id), true);
  assert.equal(messages.delete(answer.id), false);
});

test("recoverInterruptedMessages marks answers left 'streaming' as 'interrupted', keeping their text", (t) => {
  const db = openTestDatabase(t);
  const chat = new ConversationsRepository(db).create({ title: 'chat' });
  const messages = new MessagesRepository(db);
  const done = messages.append({ conversationId: chat.id, role: 'assistant', content: 'Finished.' });
  const cut = messages.append({ conversationId: chat.id, role: 'assistant', status: 'streaming', content: 'To be or not' });
  assert.equal(messages.recoverInterruptedMessages(), 1);
  assert.equal(messages.get(done.id)?.status, 'complete');
  const recovered = messages.get(cut.id)!;
  assert.equal(recovered.status, 'interrupted');
  assert.equal(recovered.content, 'To be or not');
  assert.equal(recovered.error, INTERRUPTED_AT_START_UP);
  assert.equal(messages.recoverInterruptedMessages(), 0);
});
