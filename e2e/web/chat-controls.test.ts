// Controlling replies in the web shell: stop one mid-stream (the partial answer stays, marked
// stopped), regenerate the last one (it is replaced; with a seed set in Settings, by the same reply), and switch the precision in the middle of a
// conversation (the next reply runs on the new variant, and the status says where and how much
// memory it uses). Each test opens its own conversation on the bundled demo model.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { openAppSession, type AppSession } from './app-session.ts';
import {
  assistantArticles,
  chooseModel,
  messageText,
  modelStatus,
  newChat,
  precisionSelect,
  saveSettings,
  sendMessage,
  waitForReplyToEnd,
  waitForStreamingText,
} from './chat-page.ts';
import { webE2eSkipReason } from './prerequisites.ts';

const skip = await webE2eSkipReason();
const DEMO = 'Shakespeare 5M (demo) (bundled demo)';
/** Short replies keep the suite fast where their length does not matter. */
const SHORT_REPLY_TOKENS = '40';
const STOPPED_NOTICE = 'Stopped; the partial answer was kept.';

describe('web shell: stop, regenerate and switch precision', () => {
  let app: AppSession | undefined;
  let page: Page;

  before(async () => {
    if (skip) return;
    app = await openAppSession('chat-controls');
    page = app.page;
    await chooseModel(page, DEMO);
  });

  after(async () => {
    await app?.close();
  });

  /** A new conversation whose first reply has ended (settings exist only once a conversation does). */
  async function startConversation(first: string, precision?: string): Promise<Locator> {
    await newChat(page);
    if (precision) await precisionSelect(page).selectOption(precision);
    const reply = await sendMessage(page, first);
    await waitForReplyToEnd(reply);
    return reply;
  }

  /** A reply that ended by itself carries no stopped, interrupted or failed notice (others, e.g. context ones, may be there). */
  async function assertEndedNormally(reply: Locator): Promise<void> {
    const endNotices = reply.getByRole('note').filter({ hasText: /stopped|interrupted|failed/i });
    assert.equal(await endNotices.count(), 0, `the reply ended normally: ${await reply.innerText()}`);
  }

  /** The token count that the reply's stats line gives ("N tokens · … tokens/s · …"). */
  async function replyTokens(reply: Locator): Promise<number> {
    const match = /(\d+) tokens ·/.exec(await reply.innerText());
    assert.ok(match, `the reply shows its stats: ${await reply.innerText()}`);
    return Number(match[1]);
  }

  test('Stop keeps the partial answer, marked stopped, and the next message works', { skip, timeout: 180_000 }, async () => {
    await startConversation('KING HENRY:');
    await saveSettings(page, { 'Max tokens': '4000' });

    const reply = await sendMessage(page, 'Speak on, and at length.');
    await waitForStreamingText(reply, 20);
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await waitForReplyToEnd(reply);
    const partial = await messageText(reply);
    assert.ok(partial.length >= 20, `the partial answer is kept: ${JSON.stringify(partial)}`);
    assert.equal(await reply.getByRole('note').filter({ hasText: STOPPED_NOTICE }).count(), 1, 'the answer is marked stopped');
    assert.ok((await replyTokens(reply)) < 4000, 'it stopped before its token budget');
    assert.equal(await page.getByRole('button', { name: 'Stop', exact: true }).count(), 0, 'Stop is gone once the reply ended');

    await saveSettings(page, { 'Max tokens': SHORT_REPLY_TOKENS });
    const next = await sendMessage(page, 'And now briefly.');
    await waitForReplyToEnd(next);
    assert.ok((await messageText(next)).length > 0, 'the next reply has text');
    await assertEndedNormally(next);
    assert.equal(await messageText(reply), partial, 'the stopped answer is unchanged');
  });

  test('Regenerate replaces the last reply with a new one', { skip, timeout: 180_000 }, async () => {
    await startConversation('QUEEN MARGARET:');
    await saveSettings(page, { 'Max tokens': SHORT_REPLY_TOKENS, Temperature: '1' });
    const reply = await sendMessage(page, 'Tell me of the war.');
    await waitForReplyToEnd(reply);
    const first = await messageText(reply);
    const replies = await assistantArticles(page).count();

    // React gives the new reply a new element: waiting for the old one to go avoids seeing it as the answer.
    const old = await reply.elementHandle();
    await reply.getByRole('button', { name: 'Regenerate', exact: true }).click();
    await old!.waitForElementState('hidden');
    const regenerated = assistantArticles(page).last();
    await waitForReplyToEnd(regenerated);

    assert.equal(await assistantArticles(page).count(), replies, 'the reply was replaced, not added');
    const second = await messageText(regenerated);
    assert.ok(second.length > 0, 'the new reply has text');
    assert.notEqual(second, first, 'at temperature 1 the new reply differs from the old one');
    await assertEndedNormally(regenerated);
    // The replacement is stored: after a reload the conversation holds the new reply only.
    await page.reload();
    await page.getByRole('navigation', { name: 'Conversations' }).getByRole('button', { name: 'QUEEN MARGARET:', exact: true }).click();
    await assistantArticles(page).nth(replies - 1).waitFor();
    assert.equal(await assistantArticles(page).count(), replies);
    assert.equal(await messageText(assistantArticles(page).last()), second);
  });

  test('with a seed in Settings, Regenerate at temperature 1 gives the same reply; an out-of-range top-k is refused with a message', { skip, timeout: 180_000 }, async () => {
    await startConversation('KING RICHARD III:');
    const panel = page.getByRole('form', { name: 'Conversation settings' });
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await panel.getByRole('spinbutton', { name: 'Top-k', exact: true }).fill('-1');
    await panel.getByRole('button', { name: 'Save settings', exact: true }).click();
    assert.equal(await panel.getByRole('alert').innerText(), 'Top-k must be a whole number from 0 to 1000.');
    await saveSettings(page, { 'Max tokens': SHORT_REPLY_TOKENS, Temperature: '1', 'Top-k': '0', Seed: '4242' });

    const reply = await sendMessage(page, 'A horse, a horse!');
    await waitForReplyToEnd(reply);
    const first = await messageText(reply);
    const old = await reply.elementHandle();
    await reply.getByRole('button', { name: 'Regenerate', exact: true }).click();
    await old!.waitForElementState('hidden');
    const regenerated = assistantArticles(page).last();
    await waitForReplyToEnd(regenerated);
    assert.ok(first.length > 0);
    assert.equal(await messageText(regenerated), first, 'the same seed gives the same reply');
  });

  test('switching fp32 → int4 mid-conversation: the next reply runs on int4, and the status shows where and its memory', { skip, timeout: 180_000 }, async () => {
    await startConversation('GLOUCESTER:', 'fp32');
    assert.equal(await precisionSelect(page).inputValue(), 'fp32');
    const status = modelStatus(page);
    await status.filter({ hasText: /fp32 ready on the (CPU|GPU)/ }).waitFor();
    assert.match(await status.innerText(), /uses [\d.]+ [kMG]i?B \(estimated [\d.]+ [kMG]i?B\)/);

    await saveSettings(page, { 'Max tokens': SHORT_REPLY_TOKENS });
    await precisionSelect(page).selectOption('int4');
    const reply = await sendMessage(page, 'Now in four bits.');
    await waitForReplyToEnd(reply);
    assert.ok((await messageText(reply)).length > 0, 'the reply after the switch has text');
    await assertEndedNormally(reply);
    assert.match(await reply.innerText(), /tokens\/s · first token after \d+ ms · on the (CPU|GPU)/);
    await status.filter({ hasText: /int4 ready on the (CPU|GPU)/ }).waitFor();
    assert.match(await status.innerText(), /uses [\d.]+ [kMG]i?B \(estimated [\d.]+ [kMG]i?B\)/);
    assert.equal(await precisionSelect(page).inputValue(), 'int4', 'the conversation keeps the new precision');
  });
});
