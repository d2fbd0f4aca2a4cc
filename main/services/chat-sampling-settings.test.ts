// A conversation's sampling settings (top-k, min-p, repetition penalty, seed, stop strings) reach
// the worker's generation: real replies from the demo model, built in int8, through the API
// handlers. Each case compares replies of fresh conversations to the same message, so no KV or
// history of one case leaks into another. Also: parameters stored before these settings existed load.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChatParams, Message } from '../common/contracts/chat.ts';
import { openStore } from '../store/store.ts';
import { conversationOf } from './conversation-records.ts';
import { BUNDLED_MODEL_ID } from './library-service.ts';
import { openTestServices, RecordingLauncher, type TestServices } from './services-test-support.ts';

const QUESTION = 'Who art thou?';
/** Long enough for the demo model's reply to hold several words. */
const BASE: Partial<ChatParams> = { maxTokens: 24, contextLength: 256 };

let t: TestServices;
let greedy: Message;

/** A new conversation with these settings answers QUESTION; returns the ended reply. */
async function replyWith(params: Partial<ChatParams>): Promise<Message> {
  const { id: conversationId } = await t.services.handlers['conversations.create']({ modelId: BUNDLED_MODEL_ID, precision: 'int8' });
  await t.services.handlers['conversations.update']({ conversationId, params: { ...BASE, ...params } });
  const mark = t.events.mark();
  const started = await t.services.handlers['chat.send']({ conversationId, text: QUESTION });
  const ended = await t.events.next(mark, 'chat.ended', (e) => e.message.id === started.assistantMessageId);
  assert.equal(ended.message.status, 'complete', ended.message.error ?? '');
  return ended.message;
}

before(async () => {
  t = await openTestServices(new RecordingLauncher());
  greedy = await replyWith({ temperature: 0 });
  assert.equal(greedy.stats?.stopReason, 'max-tokens', 'the demo model rambles past 24 tokens');
  assert.ok(greedy.content.trim().split(/\s+/).length >= 4, `the greedy reply is too short to cut: ${JSON.stringify(greedy.content)}`);
});
after(() => t.cleanup());

describe('chat sampling settings reach the generation', () => {
  it('a stop string ends the reply before it', async () => {
    // A word from the middle of the greedy reply: the same greedy reply with it as a stop string ends just before it.
    const words = greedy.content.trim().split(/\s+/);
    const stop = words[Math.floor(words.length / 2)];
    const cut = greedy.content.slice(0, greedy.content.indexOf(stop));
    const reply = await replyWith({ temperature: 0, stop: ['no such text', stop] });
    assert.equal(reply.content, cut);
    assert.equal(reply.stats?.stopReason, 'stop-string');
    assert.ok(!reply.content.includes(stop));
  });

  it('the same seed at temperature 1 gives the same reply twice, another seed another reply', async () => {
    const sampled = { temperature: 1, topP: 1, topK: 0 };
    const first = await replyWith({ ...sampled, seed: 1234 });
    const second = await replyWith({ ...sampled, seed: 1234 });
    assert.equal(second.content, first.content);
    assert.notEqual(first.content, greedy.content, 'temperature 1 samples');
    const other = await replyWith({ ...sampled, seed: 98765 });
    assert.notEqual(other.content, first.content, 'the seed is what made the replies equal');
  });

  it('top-k 1 and min-p 1 are greedy at temperature 1', async () => {
    assert.equal((await replyWith({ temperature: 1, topP: 1, topK: 1 })).content, greedy.content);
    assert.equal((await replyWith({ temperature: 1, topP: 1, topK: 0, minP: 1 })).content, greedy.content);
  });

  it('a repetition penalty changes the greedy reply', async () => {
    const penalized = await replyWith({ temperature: 0, repetitionPenalty: 1.8 });
    assert.notEqual(penalized.content, greedy.content);
  });
});

describe('stored chat parameters', () => {
  it('parameters stored before the sampling settings existed load with their defaults', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hearth-chat-params-'));
    const store = openStore(join(dir, 'hearth.db'));
    try {
      const old = { temperature: 0.2, topP: 0.8, maxTokens: 64, contextLength: 512, overflow: 'rolling-window' };
      const record = store.conversations.create({ title: 'Old', params: { ...old, topK: -5 } });
      const { params } = conversationOf(store, record.id);
      assert.deepEqual(params, { ...old, topK: 50, minP: 0, repetitionPenalty: 1, seed: null, stop: [] }, 'a stored value out of range takes its default too');
    } finally {
      store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
