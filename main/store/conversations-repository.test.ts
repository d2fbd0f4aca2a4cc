import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConversationsRepository } from './conversations-repository.ts';
import type { StoreDatabase } from './database.ts';
import { MessagesRepository } from './messages-repository.ts';
import { ManualClock, openTestDatabase } from './store-test-support.ts';

function count(db: StoreDatabase, table: string): number {
  return (db.connection.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

test('conversations are created, listed most recently used first, renamed and updated', (t) => {
  const clock = new ManualClock();
  const db = openTestDatabase(t, { now: clock.now });
  const conversations = new ConversationsRepository(db);
  const messages = new MessagesRepository(db);
  const first = conversations.create({ title: 'First', params: { temperature: 0.7 }, systemPrompt: 'Be brief.' });
  assert.deepEqual(first, {
    id: first.id,
    title: 'First',
    modelId: null,
    precision: null,
    adapterId: null,
    systemPrompt: 'Be brief.',
    params: { temperature: 0.7 },
    createdAt: clock.now(),
    updatedAt: clock.now(),
  });
  clock.advance(1);
  const second = conversations.create({ title: 'Second' });
  clock.advance(1);
  const third = conversations.create({ title: 'Third' });
  assert.deepEqual(conversations.list().map((c) => c.title), ['Third', 'Second', 'First']);

  clock.advance(1);
  messages.append({ conversationId: first.id, role: 'user', content: 'hi' });
  assert.deepEqual(conversations.list().map((c) => c.title), ['First', 'Third', 'Second'], 'a new message moves it to the top');

  clock.advance(1);
  assert.equal(conversations.rename(second.id, 'Renamed'), true);
  assert.equal(conversations.rename('missing', 'x'), false);
  assert.deepEqual(conversations.list().map((c) => c.title), ['Renamed', 'First', 'Third']);

  const updated = conversations.update(third.id, { precision: 'int4', params: { topP: 0.9 } });
  assert.equal(updated?.precision, 'int4');
  assert.deepEqual(updated?.params, { topP: 0.9 });
  assert.equal(updated?.title, 'Third', 'fields left out of the patch are kept');
  assert.equal(conversations.update(third.id, { precision: null })?.precision, null);
});

test('getWithMessages returns the conversation with its messages in order', (t) => {
  const db = openTestDatabase(t);
  const conversations = new ConversationsRepository(db);
  const messages = new MessagesRepository(db);
  const chat = conversations.create({ title: 'chat' });
  messages.append({ conversationId: chat.id, role: 'system', content: 'S' });
  messages.append({ conversationId: chat.id, role: 'user', content: 'U' });
  messages.append({ conversationId: chat.id, role: 'assistant', content: 'A' });
  const loaded = conversations.getWithMessages(chat.id)!;
  assert.equal(loaded.conversation.id, chat.id);
  assert.deepEqual(loaded.messages.map((m) => `${m.role}:${m.content}`), ['system:S', 'user:U', 'assistant:A']);
  assert.equal(conversations.getWithMessages('missing'), undefined);
});

test('deleting a conversation deletes its messages and their search entries', (t) => {
  const db = openTestDatabase(t);
  const conversations = new ConversationsRepository(db);
  const messages = new MessagesRepository(db);
  const kept = conversations.create({ title: 'kept' });
  const doomed = conversations.create({ title: 'doomed' });
  messages.append({ conversationId: doomed.id, role: 'user', content: 'one' });
  messages.append({ conversationId: doomed.id, role: 'assistant', content: 'two' });
  messages.append({ conversationId: kept.id, role: 'user', content: 'three' });
  assert.equal(count(db, 'search_rows'), 5);

  assert.equal(conversations.delete(doomed.id), true);
  assert.equal(conversations.delete(doomed.id), false);
  assert.deepEqual(messages.list(doomed.id), []);
  assert.equal(count(db, 'messages'), 1);
  assert.equal(count(db, 'search_rows'), 2, 'the cascade fired the search triggers');
  assert.equal(count(db, 'search_index'), 2);
});

test('search finds conversations by title and by message text, most recently used first', (t) => {
  const clock = new ManualClock();
  const db = openTestDatabase(t, { now: clock.now });
  const conversations = new ConversationsRepository(db);
  const messages = new MessagesRepository(db);
  const sonnets = conversations.create({ title: 'Sonnets of Shakespeare' });
  clock.advance(1);
  const cooking = conversations.create({ title: 'Dinner ideas' });
  messages.append({ conversationId: cooking.id, role: 'user', content: 'A crème brûlée recipe, please' });
  clock.advance(1);
  const travel = conversations.create({ title: 'Trip' });
  messages.append({ conversationId: travel.id, role: 'assistant', content: 'Visit Stratford, where Shakespeare was born.' });

  const titles = (query: string) => conversations.search(query).map((c) => c.title);
  assert.deepEqual(titles('shakespeare'), ['Trip', 'Sonnets of Shakespeare'], 'title and message matches, most recent first');
  assert.deepEqual(titles('SHAK'), ['Trip', 'Sonnets of Shakespeare'], 'a word typed so far matches as a prefix, in any case');
  assert.deepEqual(titles('creme brulee'), ['Dinner ideas'], 'accents are ignored');
  assert.deepEqual(titles('shakespeare born'), ['Trip'], 'every word must match');
  assert.deepEqual(titles('sonnets born'), [], 'the words must be in the same title or message');
  assert.deepEqual(titles('   '), ['Trip', 'Dinner ideas', 'Sonnets of Shakespeare'], 'blank lists everything');
  assert.deepEqual(titles('!!!'), []);
  for (const hostile of ['"', 'title:x', 'NEAR(a b)', 'a AND', '*', '(shak']) {
    assert.doesNotThrow(() => conversations.search(hostile), `"${hostile}" is searched as text, not FTS5 syntax`);
  }
  assert.deepEqual(titles('(shak'), ['Trip', 'Sonnets of Shakespeare']);

  conversations.rename(sonnets.id, 'Poems');
  assert.deepEqual(titles('sonnets'), [], 'a rename replaces the old title');
  assert.deepEqual(titles('poems'), ['Poems']);

  const answer = messages.append({ conversationId: sonnets.id, role: 'assistant', status: 'streaming' });
  messages.updateContent(answer.id, 'Shall I compare thee');
  assert.deepEqual(titles('compare'), ['Poems'], 'streamed text is searchable as it grows');
  messages.updateContent(answer.id, 'Rewritten');
  assert.deepEqual(titles('compare'), []);
  messages.delete(answer.id);
  assert.deepEqual(titles('rewritten'), []);
});
