// API completions and the app's chat share one inference worker and answer at once: a request
// runs beside a chat reply being written, the chat answers while a request runs, two
// conversations answer at once (the second's first token before the first's reply ends), two
// requests run at once, and a request whose client went away never runs. Real worker, demo model
// at int8.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../common/contracts/api-error.ts';
import type { ApiCompletionRequest } from './api-completions.ts';
import { BUNDLED_MODEL_ID } from './library-service.ts';
import { openTestServices, RecordingLauncher, type TestServices } from './services-test-support.ts';

const MODEL = `${BUNDLED_MODEL_ID}@int8`;

function request(maxTokens: number): ApiCompletionRequest {
  return { model: MODEL, prompt: { kind: 'chat', messages: [{ role: 'user', content: 'Hail!' }] }, sampling: { temperature: 0, maxTokens }, logprobs: null };
}

describe('API completions beside the app\'s chat', { timeout: 180_000 }, () => {
  let t: TestServices;
  let conversationId: string;

  before(async () => {
    t = await openTestServices(new RecordingLauncher());
    conversationId = (await t.services.handlers['conversations.create']({ modelId: BUNDLED_MODEL_ID, precision: 'int8' })).id;
    await t.services.handlers['conversations.update']({ conversationId, params: { temperature: 0, maxTokens: 200, contextLength: 512 } });
  });
  after(() => t?.cleanup());

  /** A conversation of the demo model at int8, greedy, with room for a long reply. */
  async function newConversation(): Promise<string> {
    const id = (await t.services.handlers['conversations.create']({ modelId: BUNDLED_MODEL_ID, precision: 'int8' })).id;
    await t.services.handlers['conversations.update']({ conversationId: id, params: { temperature: 0, maxTokens: 200, contextLength: 512 } });
    return id;
  }

  it('answers a request while the chat writes a reply: its first token comes before the chat reply ends', async () => {
    const mark = t.events.mark();
    const started = await t.services.handlers['chat.send']({ conversationId, text: 'Who art thou?' });
    await t.events.next(mark, 'chat.token', (e) => e.messageId === started.assistantMessageId);
    let chatEnded = false;
    const ended = t.events.next(mark, 'chat.ended', (e) => e.message.id === started.assistantMessageId, 60_000).then((e) => ((chatEnded = true), e));
    let firstTokenWhileChatRan: boolean | null = null;
    const result = await t.services.openai.complete(request(6), () => (firstTokenWhileChatRan ??= !chatEnded), new AbortController().signal);
    assert.equal(firstTokenWhileChatRan, true, "the request's first token came while the chat reply was being written");
    assert.ok(result.completionTokens > 0 && result.completionTokens <= 6);
    const chatReply = await ended;
    assert.equal(chatReply.message.status, 'complete', 'the chat reply was not disturbed');
  });

  it("the app's chat answers while a request runs, and both complete", async () => {
    let firstToken!: () => void;
    const tokenCame = new Promise<void>((resolve) => (firstToken = resolve));
    let requestEnded = false;
    const running = t.services.openai.complete(request(150), () => firstToken(), new AbortController().signal).then((r) => ((requestEnded = true), r));
    await tokenCame;
    const mark = t.events.mark();
    const started = await t.services.handlers['chat.send']({ conversationId, text: 'Again?' });
    const chatToken = await t.events.next(mark, 'chat.token', (e) => e.messageId === started.assistantMessageId, 60_000);
    assert.ok(chatToken.text.length > 0);
    assert.equal(requestEnded, false, "the chat's first token came while the request ran");
    const ended = await t.events.next(mark, 'chat.ended', (e) => e.message.id === started.assistantMessageId, 60_000);
    assert.equal(ended.message.status, 'complete');
    assert.ok((await running).completionTokens > 0);
  });

  it('a second conversation answers while the first streams: its first token comes before the first reply ends', async () => {
    const [first, second] = [await newConversation(), await newConversation()];
    const mark = t.events.mark();
    const one = await t.services.handlers['chat.send']({ conversationId: first, text: 'Speak, and do not stop.' });
    await t.events.next(mark, 'chat.token', (e) => e.messageId === one.assistantMessageId, 60_000);
    const two = await t.services.handlers['chat.send']({ conversationId: second, text: 'Who goes there?' });
    const endedOne = t.events.next(mark, 'chat.ended', (e) => e.message.id === one.assistantMessageId, 90_000);
    await t.events.next(mark, 'chat.token', (e) => e.messageId === two.assistantMessageId, 60_000);
    assert.equal(
      t.events.since(mark, 'chat.ended').some((e) => e.message.id === one.assistantMessageId),
      false,
      'the second reply started while the first was being written',
    );
    const endedTwo = await t.events.next(mark, 'chat.ended', (e) => e.message.id === two.assistantMessageId, 90_000);
    assert.equal((await endedOne).message.status, 'complete');
    assert.equal(endedTwo.message.status, 'complete');
  });

  it('runs two requests at once: the second starts before the first ends', async () => {
    let firstEnded = false;
    let secondStartedFirst: boolean | null = null;
    let firstToken!: () => void;
    const tokenCame = new Promise<void>((resolve) => (firstToken = resolve));
    const one = t.services.openai.complete(request(120), () => firstToken(), new AbortController().signal).then((r) => ((firstEnded = true), r));
    await tokenCame;
    const two = await t.services.openai.complete(request(5), () => (secondStartedFirst ??= !firstEnded), new AbortController().signal);
    assert.equal(secondStartedFirst, true);
    assert.ok(two.completionTokens > 0);
    assert.ok((await one).completionTokens > 0);
  });

  it('stops a request whose client went away, while it runs or while it waits', async () => {
    const first = new AbortController();
    let tokens = 0;
    const running = t.services.openai.complete(request(400), () => tokens++ === 2 && first.abort(), first.signal);
    const gone = new AbortController();
    gone.abort();
    await assert.rejects(t.services.openai.complete(request(5), () => assert.fail('a request whose client left must not run'), gone.signal), /closed the request/);
    const result = await running;
    assert.ok(result.completionTokens < 400, `stopped after ${result.completionTokens} tokens`);
  });

  it('refuses a model the library does not have before queueing, naming the ones it has', async () => {
    await assert.rejects(t.services.openai.complete({ ...request(1), model: 'gpt-4o' }, () => {}, new AbortController().signal), (error: unknown) => {
      assert.ok(error instanceof ApiError && error.code === 'not-found');
      assert.match(error.message, /Shakespeare 5M/);
      return true;
    });
    assert.throws(() => t.services.openai.checkModel(`${BUNDLED_MODEL_ID}@int3`), /'int3' is not a precision/);
  });
});
