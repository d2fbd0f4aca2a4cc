import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { databaseFileIn, openStore } from './store.ts';
import { SCHEMA_VERSION } from './migrations.ts';
import { tempDir } from './store-test-support.ts';

test('openStore opens the data directory database with every repository', (t) => {
  const dataDir = join(tempDir(t), 'nested', 'data');
  const file = databaseFileIn(dataDir);
  assert.equal(file, join(dataDir, 'hearth.sqlite'));
  const store = openStore(file);
  t.after(() => store.close());
  assert.equal(store.database.schemaVersion, SCHEMA_VERSION, 'the missing folders were created');
  assert.equal(store.interruptedAtOpen, 0);
  store.models.upsert({ id: 'm', name: 'm', architecture: 'llama', sourceDir: '/m', parameters: 1, contextLength: 8, sizeBytes: 1, spec: {}, isBundled: true });
  const chat = store.conversations.create({ title: 'chat', modelId: 'm' });
  store.messages.append({ conversationId: chat.id, role: 'user', content: 'hi' });
  assert.equal(store.conversations.getWithMessages(chat.id)?.messages.length, 1);
});

test('a process beside the app can open the store without touching streaming answers', (t) => {
  const file = join(tempDir(t), 'hearth.sqlite');
  const app = openStore(file);
  t.after(() => app.close());
  const chat = app.conversations.create({ title: 'chat' });
  const answer = app.messages.append({ conversationId: chat.id, role: 'assistant', status: 'streaming' });

  const importer = openStore(file, { recoverInterruptedMessages: false });
  importer.close();
  assert.equal(app.messages.get(answer.id)?.status, 'streaming');
});
