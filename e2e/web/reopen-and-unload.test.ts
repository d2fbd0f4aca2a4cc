// The app as a person comes back to it, in Chromium on the web shell: the conversation that was
// open is open again after a reload of the page and after a restart of `hearth serve` on the same
// data folder; the whole of a long title is the conversation's tooltip; and Unload, beside the
// loaded model's memory, ends the model process (its memory goes with it) until the next message
// loads the model again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { openAppSession, type AppSession } from './app-session.ts';
import { assistantArticles, chooseModel, messageText, modelStatus, newChat, sendMessage, userArticles, waitForReplyToEnd } from './chat-page.ts';
import { webE2eSkipReason } from './prerequisites.ts';

const skip = await webE2eSkipReason();
const DEMO = 'Shakespeare 5M (demo) (bundled demo)';
/** Longer than the sidebar shows on one line, short enough (60 characters at most) to be the title as it is. */
const PROMPT = 'Good morrow, gentle friend; what news from fair Verona?';

/** The processes `pid` started that still run (Linux: the kernel's list of its children). */
function childPids(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text ? text.split(/\s+/).map(Number) : [];
}

function unloadButton(page: Page) {
  return page.getByRole('button', { name: 'Unload', exact: true });
}

function openConversationButton(page: Page) {
  return page.getByRole('navigation', { name: 'Conversations' }).locator('button[aria-current="true"]');
}

describe('web shell: reopen the open conversation, and unload the model', () => {
  let app: AppSession | undefined;
  let page: Page;

  before(async () => {
    if (skip) return;
    app = await openAppSession('reopen');
    page = app.page;
  });

  after(async () => {
    await app?.close();
  });

  test('a first message opens a conversation whose whole title is its tooltip', { skip, timeout: 180_000 }, async () => {
    await chooseModel(page, DEMO);
    await waitForReplyToEnd(await sendMessage(page, PROMPT));
    const item = openConversationButton(page);
    assert.equal(await item.getAttribute('title'), PROMPT, 'the tooltip holds the whole title');
    assert.equal(await item.innerText(), PROMPT);
  });

  test('Unload, shown with the memory the model uses, ends the model process; the next message loads it again', { skip, timeout: 180_000 }, async () => {
    await modelStatus(page).filter({ hasText: /uses \d/ }).waitFor();
    const workers = childPids(app!.shell.pid);
    assert.ok(workers.length > 0, 'the inference worker runs while the model is loaded');

    await unloadButton(page).click();
    await modelStatus(page).filter({ hasText: 'No model loaded' }).waitFor();
    assert.equal(await unloadButton(page).count(), 0, 'nothing left to unload');
    const still = childPids(app!.shell.pid).filter((pid) => workers.includes(pid));
    assert.deepEqual(still, [], 'the worker that held the model has ended, and its memory with it');

    await waitForReplyToEnd(await sendMessage(page, 'Speak again.'));
    await modelStatus(page).filter({ hasText: /uses \d/ }).waitFor();
    await unloadButton(page).waitFor();
  });

  test('after a reload, the conversation that was open is open again', { skip, timeout: 120_000 }, async () => {
    await page.reload();
    await userArticles(page).first().waitFor();
    assert.equal(await messageText(userArticles(page).first()), PROMPT);
    assert.equal(await assistantArticles(page).count(), 2);
    assert.equal(await openConversationButton(page).innerText(), PROMPT, 'the list marks it as the open one');
  });

  test('after a restart of the app, it is open again; after "New chat" and a reload, nothing is', { skip, timeout: 180_000 }, async () => {
    assert.equal(await app!.restart(), 0);
    await page.goto(app!.shell.url);
    await userArticles(page).first().waitFor();
    assert.equal(await messageText(userArticles(page).first()), PROMPT);

    const forgotten = page.waitForResponse((response) => response.url().endsWith('/api/app.setOpenConversation'));
    await newChat(page);
    assert.equal((await forgotten).status(), 200);
    const asked = page.waitForResponse((response) => response.url().endsWith('/api/app.openConversation'));
    await page.reload();
    assert.deepEqual(await (await asked).json(), { ok: true, value: { conversationId: null } });
    await page.getByRole('heading', { name: 'New chat' }).waitFor();
    assert.equal(await userArticles(page).count(), 0);
  });
});
