// API completions and the app's chat share one inference worker, one reply at a time for now: a
// request waits behind a chat reply instead of failing, the chat is told 'busy' while a request
// runs, and a request whose client went away never runs. Real worker, demo model at int8.
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
    await t.services.handlers['conversations.update']({ conversationId, params: { temperature: 0, maxTokens: 120, contextLength: 512 } });
  });
  after(() => t?.cleanup());

  it('waits for the chat reply being written, then answers', async () => {
    const mark = t.events.mark();
    const started = await t.services.handlers['chat.send']({ conversationId, text: 'Who art thou?' });
    await t.events.next(mark, 'chat.token', (e) => e.messageId === started.assistantMessageId);
    let chatEndedFirst = false;
    const ended = t.events.next(mark, 'chat.ended', (e) => e.message.id === started.assistantMessageId, 60_000).then(() => (chatEndedFirst = true));
    let tokensBeforeChatEnded = 0;
    const result = await t.services.openai.complete(request(6), () => !chatEndedFirst && tokensBeforeChatEnded++, new AbortController().signal);
    await ended;
    assert.equal(tokensBeforeChatEnded, 0, 'no token of the request came while the chat reply was being written');
    assert.ok(result.completionTokens > 0 && result.completionTokens <= 6);
    assert.equal((await t.services.handlers['conversations.get']({ conversationId })).messages.at(-1)?.status, 'complete', 'the chat reply was not disturbed');
  });

  it('tells the app\'s chat it is busy while a request runs, and frees it after', async () => {
    let firstToken!: () => void;
    const tokenCame = new Promise<void>((resolve) => (firstToken = resolve));
    const running = t.services.openai.complete(request(150), () => firstToken(), new AbortController().signal);
    await tokenCame;
    await assert.rejects(t.services.handlers['chat.send']({ conversationId, text: 'Again?' }), (error: unknown) => {
      assert.ok(error instanceof ApiError && error.code === 'busy', String(error));
      assert.match(error.message, /OpenAI-compatible server/);
      return true;
    });
    await running;
    const mark = t.events.mark();
    const started = await t.services.handlers['chat.send']({ conversationId, text: 'Again?' });
    await t.events.next(mark, 'chat.ended', (e) => e.message.id === started.assistantMessageId, 60_000);
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
