import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ConversationsRepository } from './conversations-repository.ts';
import { MessagesRepository } from './messages-repository.ts';
import { openStore } from './store.ts';
import { StreamingMessageWriter } from './streaming-message-writer.ts';
import { openTestDatabase, tempDir } from './store-test-support.ts';

function streamingAnswer(t: TestContext) {
  const db = openTestDatabase(t);
  const conversation = new ConversationsRepository(db).create({ title: 'chat' });
  const messages = new MessagesRepository(db);
  messages.append({ conversationId: conversation.id, role: 'user', content: 'Speak' });
  const answer = messages.append({ conversationId: conversation.id, role: 'assistant', status: 'streaming' });
  const stored = () => messages.get(answer.id)!;
  return { db, conversation, messages, answer, stored };
}

test('text reaches the database within the flush interval, in few writes', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const { messages, answer, stored } = streamingAnswer(t);
  let writes = 0;
  const counted = Object.create(messages) as MessagesRepository;
  counted.updateContent = (id, content) => (writes++, messages.updateContent(id, content));
  const writer = new StreamingMessageWriter(counted, answer.id, { flushIntervalMs: 100, now: () => Date.now() });

  writer.append('To');
  assert.equal(stored().content, 'To', 'the first piece is written at once');
  // 50 more pieces, one every 10 ms: 500 ms of streaming.
  let sent = 'To';
  for (let i = 0; i < 50; i++) {
    t.mock.timers.tick(10);
    const piece = ` w${i}`;
    writer.append(piece);
    sent += piece;
    // Whatever was appended at least 100 ms ago is in the database.
    const sentBy100msAgo = 'To' + Array.from({ length: Math.max(0, i - 9) }, (_, j) => ` w${j}`).join('');
    assert.ok(stored().content.startsWith(sentBy100msAgo), `after piece ${i}, the database lags by at most the interval`);
    assert.ok(sent.startsWith(stored().content));
  }
  assert.ok(writes <= 7, `about one write per 100 ms, not one per piece (got ${writes})`);
  t.mock.timers.tick(100);
  assert.equal(stored().content, sent, 'the trailing pieces are written when the interval ends');
  assert.equal(stored().status, 'streaming');
  assert.equal(writer.text, sent);
});

test('with real timers, a piece is written after the interval without further appends', async (t) => {
  const { answer, messages, stored } = streamingAnswer(t);
  const writer = new StreamingMessageWriter(messages, answer.id, { flushIntervalMs: 20 });
  writer.append('a');
  writer.append('b');
  assert.equal(stored().content, 'a');
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(stored().content, 'ab');
});

test('finish writes the whole text with its final status and stats; later pieces are dropped', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const { answer, messages, stored } = streamingAnswer(t);
  const writer = new StreamingMessageWriter(messages, answer.id, { now: () => Date.now() });
  writer.append('Hello');
  writer.append(', world');
  const finished = writer.finish('stopped', { stats: { tokens: 3, tokensPerSecond: 30, timeToFirstTokenMs: 12 } });
  assert.equal(finished?.content, 'Hello, world');
  assert.equal(finished?.status, 'stopped');
  assert.deepEqual(stored().stats, { tokens: 3, tokensPerSecond: 30, timeToFirstTokenMs: 12 });
  assert.equal(writer.finished, true);
  writer.append(' late token');
  t.mock.timers.tick(1000);
  assert.equal(stored().content, 'Hello, world');
  assert.equal(writer.finish('complete'), undefined);
  assert.equal(stored().status, 'stopped');
});

test('only a streaming message can be written to', (t) => {
  const { conversation, messages } = streamingAnswer(t);
  const done = messages.append({ conversationId: conversation.id, role: 'assistant', content: 'done' });
  assert.throws(() => new StreamingMessageWriter(messages, done.id), /status is 'complete', not 'streaming'/);
  assert.throws(() => new StreamingMessageWriter(messages, 'missing'), /does not exist/);
});

test('a conversation deleted while its answer streams stops the writer quietly', (t) => {
  const { db, conversation, answer, messages } = streamingAnswer(t);
  const writer = new StreamingMessageWriter(messages, answer.id, { flushIntervalMs: 0 });
  writer.append('partial');
  new ConversationsRepository(db).delete(conversation.id);
  writer.append(' more');
  assert.equal(writer.finished, true);
  assert.equal(writer.finish('complete'), undefined);
});

test('a write that fails in the timer is thrown by the next call', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const { db, answer, messages } = streamingAnswer(t);
  const writer = new StreamingMessageWriter(messages, answer.id, { flushIntervalMs: 100, now: () => Date.now() });
  writer.append('a');
  writer.append('b');
  db.close();
  t.mock.timers.tick(100);
  assert.throws(() => writer.append('c'), /database connection is not open/);
});

test('after a crash mid-answer, the next start keeps the partial text as interrupted', (t) => {
  const file = join(tempDir(t), 'hearth.sqlite');
  const store = openStore(file);
  const conversation = store.conversations.create({ title: 'chat' });
  const answer = store.messages.append({ conversationId: conversation.id, role: 'assistant', status: 'streaming' });
  const writer = new StreamingMessageWriter(store.messages, answer.id, { flushIntervalMs: 0 });
  writer.append('It was the best of times');
  // The process dies here: no finish. (Closing only releases the file; nothing more is written.)
  store.close();

  const restarted = openStore(file);
  t.after(() => restarted.close());
  assert.equal(restarted.interruptedAtOpen, 1);
  const recovered = restarted.messages.get(answer.id)!;
  assert.equal(recovered.status, 'interrupted');
  assert.equal(recovered.content, 'It was the best of times');
});
