// Chat through the API handlers with a real worker process and the demo model built in int8:
// streamed and stored replies, KV reuse on the next turn, stop, regenerate, edit-and-resend, a
// worker killed mid-answer, and the overflow notice. Greedy sampling (temperature 0) makes
// replies long and repeatable: the demo model rambles without emitting its end token, so a long
// reply is still going when the test stops or kills it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Conversation, Message } from '../common/contracts/chat.ts';
import { BUNDLED_MODEL_ID } from './library-service.ts';
import { openTestServices, RecordingLauncher, type TestServices } from './services-test-support.ts';

const launcher = new RecordingLauncher();
let t: TestServices;
let conversationId: string;

before(async () => {
  t = await openTestServices(launcher);
  const conversation = await t.services.handlers['conversations.create']({ modelId: BUNDLED_MODEL_ID, precision: 'int8' });
  conversationId = conversation.id;
  await t.services.handlers['conversations.update']({ conversationId, params: { temperature: 0, maxTokens: 24, contextLength: 512 } });
});
after(() => t.cleanup());

/** Sends (or otherwise starts a reply) and waits for its end; returns the ended message and the tokens streamed. */
async function reply(start: () => Promise<{ assistantMessageId: string }>, whileStreaming?: () => void): Promise<{ message: Message; tokens: string[] }> {
  const mark = t.events.mark();
  const started = await start();
  if (whileStreaming) {
    await t.events.next(mark, 'chat.token', (e) => e.messageId === started.assistantMessageId);
    whileStreaming();
  }
  const ended = await t.events.next(mark, 'chat.ended', (e) => e.message.id === started.assistantMessageId);
  const tokens = t.events.since(mark, 'chat.token').filter((e) => e.messageId === started.assistantMessageId).map((e) => e.text);
  return { message: ended.message, tokens };
}

function send(text: string, id = conversationId) {
  return () => t.services.handlers['chat.send']({ conversationId: id, text });
}

function conversation(id = conversationId): Promise<Conversation> {
  return t.services.handlers['conversations.get']({ conversationId: id });
}

describe('chat with the worker', () => {
  it('streams a reply as tokens, stores it, and says why it runs on the CPU', async () => {
    const mark = t.events.mark();
    const { message, tokens } = await reply(send('Who art thou?'));
    assert.equal(message.status, 'complete');
    assert.ok(tokens.length > 5, `only ${tokens.length} token events`);
    assert.equal(tokens.join(''), message.content);
    assert.equal(message.stats?.tokens, 24);
    assert.equal(message.stats?.device, 'cpu');
    assert.equal(message.stats?.stopReason, 'max-tokens');
    assert.ok((message.stats?.tokensPerSecond ?? 0) > 0 && (message.stats?.ttftMs ?? 0) > 0);

    const stored = await conversation();
    assert.equal(stored.title, 'Who art thou?', 'the first message names the chat');
    assert.deepEqual(stored.messages.map((m) => [m.role, m.status]), [['user', 'complete'], ['assistant', 'complete']]);
    assert.equal(stored.messages[1].content, message.content);

    const notice = t.events.since(mark, 'chat.notice').find((e) => e.kind === 'cpu-fallback');
    assert.match(notice?.text ?? '', /on the CPU: no GPU found/);
    const ready = t.events.since(mark, 'worker.status').find((e) => e.state === 'ready');
    assert.equal(ready?.device, 'cpu');
    assert.ok((ready?.memoryBytes ?? 0) > 10e6, 'the memory measured after the load is reported');
    assert.ok((ready?.estimatedBytes ?? 0) > 0);
    const [model] = await t.services.handlers['models.list']({});
    assert.ok((model.variants.find((v) => v.precision === 'int8')?.measuredPeakBytes ?? 0) > 0);
  });

  it('reuses the KV cache on the next turn', async () => {
    const { message } = await reply(send('Speak again.'));
    assert.equal(message.status, 'complete');
    assert.ok((message.stats?.reusedTokens ?? 0) > 10, `reused ${message.stats?.reusedTokens}`);
    assert.ok(message.stats!.reusedTokens < message.stats!.promptTokens);
  });

  it('stop keeps the partial answer as stopped', async () => {
    await t.services.handlers['conversations.update']({ conversationId, params: { maxTokens: 400 } });
    const { message, tokens } = await reply(send('Tell me a long tale.'), () => {
      void t.services.handlers['chat.stop']({ conversationId });
    });
    assert.equal(message.status, 'stopped');
    assert.ok(message.content.length > 0, 'the partial text is kept');
    assert.ok(message.content.startsWith(tokens.join('')));
    assert.ok((message.stats?.tokens ?? 400) < 400, `stopped after ${message.stats?.tokens} tokens`);
    assert.equal(message.stats?.stopReason, 'aborted');
    const stored = (await conversation()).messages.at(-1)!;
    assert.equal(stored.status, 'stopped');
    assert.equal(stored.content, message.content);
    await t.services.handlers['conversations.update']({ conversationId, params: { maxTokens: 24 } });
  });

  it('regenerate replaces the last reply, reusing the cached prompt', async () => {
    const before = await conversation();
    const last = before.messages.at(-1)!;
    const { message } = await reply(() => t.services.handlers['chat.regenerate']({ conversationId }));
    assert.notEqual(message.id, last.id);
    assert.equal(message.status, 'complete');
    const after = await conversation();
    assert.equal(after.messages.length, before.messages.length);
    assert.ok(!after.messages.some((m) => m.id === last.id), 'the old reply is gone');
    assert.ok((message.stats?.reusedTokens ?? 0) > 10, `reused ${message.stats?.reusedTokens}`);
  });

  it('edit and resend rewrites a user message and drops what came after it', async () => {
    const before = await conversation();
    const first = before.messages[0];
    const mark = t.events.mark();
    const { message } = await reply(() => t.services.handlers['chat.editAndResend']({ messageId: first.id, text: 'Who goes there?' }));
    assert.equal(message.status, 'complete');
    const after = await conversation();
    assert.deepEqual(after.messages.map((m) => m.role), ['user', 'assistant']);
    assert.equal(after.messages[0].id, first.id);
    assert.equal(after.messages[0].content, 'Who goes there?');
    assert.equal(after.messages[1].id, message.id);
    assert.ok(t.events.since(mark, 'conversations.changed').length > 0);
  });

  it('refuses a second reply while one is written', async () => {
    await t.services.handlers['conversations.update']({ conversationId, params: { maxTokens: 400 } });
    const mark = t.events.mark();
    const started = await t.services.handlers['chat.send']({ conversationId, text: 'One.' });
    await assert.rejects(t.services.handlers['chat.send']({ conversationId, text: 'Two.' }), (error: Error & { code?: string }) => error.code === 'busy');
    await t.services.handlers['chat.stop']({ conversationId });
    const ended = await t.events.next(mark, 'chat.ended', (e) => e.message.id === started.assistantMessageId);
    assert.equal(ended.message.status, 'stopped');
  });

  it('a worker killed mid-answer leaves the partial answer interrupted, says so, restarts, and the next message works', async () => {
    const mark = t.events.mark();
    const killed = launcher.current!;
    const { message } = await reply(send('Speak on, and do not stop.'), () => process.kill(killed.pid!, 'SIGKILL'));
    assert.equal(message.status, 'interrupted');
    assert.ok(message.content.length > 0, 'the partial text is kept');
    assert.match(message.error ?? '', /killed \(SIGKILL\)/);
    const notice = await t.events.next(mark, 'chat.notice', (e) => e.kind === 'worker-restarted');
    assert.match(notice.text, /answer so far was kept/);
    assert.ok(t.events.since(mark, 'worker.status').some((e) => e.state === 'crashed'));
    assert.equal((await conversation()).messages.at(-1)?.status, 'interrupted');

    await t.services.handlers['conversations.update']({ conversationId, params: { maxTokens: 24 } });
    const next = await reply(send('Art thou well?'));
    assert.equal(next.message.status, 'complete');
    assert.ok(next.message.content.length > 0);
    assert.notEqual(launcher.current, killed, 'a new worker answered');
  });

  it('tells the user when the overflow policy drops earlier turns', async () => {
    const small = await t.services.handlers['conversations.create']({ modelId: BUNDLED_MODEL_ID, precision: 'int8' });
    await t.services.handlers['conversations.update']({
      conversationId: small.id,
      params: { temperature: 0, maxTokens: 8, contextLength: 64, overflow: 'truncate-middle' },
    });
    const mark = t.events.mark();
    const long = 'Good morrow, kind sir, and how fares the king this day?';
    let last: Message | null = null;
    for (let turn = 0; turn < 3; turn++) last = (await reply(send(long, small.id))).message;
    const notice = t.events.since(mark, 'chat.notice').find((e) => e.kind === 'context-dropped' && e.conversationId === small.id);
    assert.ok(notice, 'a context-dropped notice was sent');
    assert.match(notice.text, /64-token context.*truncate-middle left out \d+ earlier exchange/);
    assert.ok((last?.stats?.dropped.turns ?? 0) > 0);
    assert.ok((last?.stats?.dropped.tokens ?? 0) > 0);
  });
});
