// Issue 4's "Done when", as a new user does it in Chromium: import the demo folder with
// `hearth import`, start `hearth serve`, open the printed address, choose the model in "Model"
// and int8 in "Quantization" (int4 is offered too), send a message, watch the "Assistant"
// article fill as it streams, reload, and find the conversation and its messages again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openAppSession, type AppSession } from './app-session.ts';
import {
  assistantArticles,
  chooseModel,
  messageText,
  modelStatus,
  offeredPrecisions,
  precisionSelect,
  sendMessage,
  userArticles,
  waitForReplyToEnd,
  watchReply,
} from './chat-page.ts';
import { webE2eSkipReason } from './prerequisites.ts';
import { importWithCli, REPO_ROOT } from './web-shell-process.ts';

const skip = await webE2eSkipReason();
const MODEL_NAME = 'Shakespeare (imported)';
const PROMPT = 'ROMEO: What light through yonder window breaks?';

describe('web shell: the first chat of a new user', () => {
  let app: AppSession | undefined;
  let page: Page;
  let replyText = '';

  before(async () => {
    if (skip) return;
    app = await openAppSession('first-chat', (dataDir) => {
      const printed = importWithCli(dataDir, join(REPO_ROOT, 'resources/models/shakespeare-5m'), MODEL_NAME);
      assert.match(printed, /imported "Shakespeare \(imported\)"/);
    });
    page = app.page;
  });

  after(async () => {
    if (!app) return;
    const stderr = app.shell.stderr();
    const code = await app.close();
    assert.equal(code, 0, `hearth serve did not exit cleanly on SIGTERM:\n${stderr}`);
  });

  test('the imported model is offered with int8 and int4, and int8 can be chosen', { skip, timeout: 120_000 }, async () => {
    await chooseModel(page, MODEL_NAME);
    const precisions = await offeredPrecisions(page);
    assert.ok(precisions.includes('int8') && precisions.includes('int4'), `Quantization offers ${precisions.join(', ')}`);
    await precisionSelect(page).selectOption('int8');
    assert.equal(await precisionSelect(page).inputValue(), 'int8');
  });

  test('a message gets a reply that streams into the "Assistant" article', { skip, timeout: 180_000 }, async () => {
    const reply = await sendMessage(page, PROMPT);
    const samples = await watchReply(reply);
    replyText = await messageText(reply);
    // Lengths read while the article was still busy. Markdown rendering may shorten the text for a
    // moment (a closing `*`), so the check is that it grew at all, not that every look was longer.
    const streamed = samples.filter((s) => s.busy && s.length > 0).map((s) => s.length);
    assert.ok(streamed.length >= 2 && Math.max(...streamed) > streamed[0], `the text should grow while the reply streams; lengths seen while streaming: ${JSON.stringify(streamed)}`);
    assert.ok(replyText.length >= streamed[0], 'the final text holds what streamed first');
    assert.equal(await messageText(userArticles(page).last()), PROMPT);
    // The status names the chosen variant and where it ran.
    await modelStatus(page).filter({ hasText: new RegExp(`${MODEL_NAME.replace(/[()]/g, '\\$&')} int8`) }).waitFor();
    assert.match(await modelStatus(page).innerText(), /on the (CPU|GPU)/);
  });

  test('after a reload the conversation is listed and opens with its messages', { skip, timeout: 120_000 }, async () => {
    assert.ok(replyText, 'the previous test produced a reply');
    await page.reload();
    const conversations = page.getByRole('navigation', { name: 'Conversations' });
    const item = conversations.getByRole('button', { name: PROMPT });
    await item.click();
    const reply = assistantArticles(page);
    await waitForReplyToEnd(reply);
    assert.equal(await userArticles(page).count(), 1);
    assert.equal(await messageText(userArticles(page)), PROMPT);
    assert.equal(await reply.count(), 1);
    assert.equal(await messageText(reply), replyText, 'the stored reply is the one that was streamed');
    assert.equal(await precisionSelect(page).inputValue(), 'int8', 'the conversation keeps its precision');
  });
});
