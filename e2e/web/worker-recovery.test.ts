// The inference worker killed in the middle of an answer: the partial answer is kept and marked
// interrupted with a notice, the worker restarts by itself, and the next message gets a complete
// answer. The worker is found as the `hearth serve` process's child running worker-main.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { openAppSession, type AppSession } from './app-session.ts';
import {
  assistantArticles,
  chooseModel,
  messageText,
  modelStatus,
  saveSettings,
  sendMessage,
  waitForReplyToEnd,
  waitForStreamingText,
} from './chat-page.ts';
import { webE2eSkipReason } from './prerequisites.ts';
import { findWorkerPid, PROC_AVAILABLE } from './worker-process.ts';

const skip = (await webE2eSkipReason()) || (PROC_AVAILABLE ? false : 'no /proc here, so the worker process cannot be found to kill it');
const DEMO = 'Shakespeare 5M (demo) (bundled demo)';
const INTERRUPTED = /interrupted|killed|stopped unexpectedly/i;

describe('web shell: the worker killed mid-answer', () => {
  let app: AppSession | undefined;
  let page: Page;

  before(async () => {
    if (skip) return;
    app = await openAppSession('worker');
    page = app.page;
    await chooseModel(page, DEMO);
  });

  after(async () => {
    await app?.close();
  });

  test('keeps the partial answer with a notice, restarts the worker, and answers the next message', { skip, timeout: 180_000 }, async () => {
    // A first exchange creates the conversation, whose settings then allow a long reply.
    await waitForReplyToEnd(await sendMessage(page, 'MERCUTIO:'));
    await saveSettings(page, { 'Max tokens': '4000' });

    const reply = await sendMessage(page, 'Tell the tale of Queen Mab.');
    await waitForStreamingText(reply, 20);
    const worker = findWorkerPid(app!.shell.pid);
    assert.ok(worker, `hearth serve (pid ${app!.shell.pid}) has a worker-main child while it answers`);
    process.kill(worker, 'SIGKILL');

    await waitForReplyToEnd(reply);
    const partial = await messageText(reply);
    assert.ok(partial.length >= 20, `the partial answer is kept: ${JSON.stringify(partial)}`);
    assert.ok(await reply.getByRole('note').filter({ hasText: INTERRUPTED }).count(), `the answer carries a notice that it was interrupted: ${await reply.innerText()}`);

    await saveSettings(page, { 'Max tokens': '40' });
    const next = await sendMessage(page, 'Once more, in short.');
    await waitForReplyToEnd(next);
    assert.ok((await messageText(next)).length > 0, 'the next message gets an answer');
    assert.equal(await next.getByRole('note').filter({ hasText: /stopped|interrupted|failed|killed/i }).count(), 0, `the next answer is complete: ${await next.innerText()}`);
    await modelStatus(page).filter({ hasText: /ready on the (CPU|GPU)/ }).waitFor();
    const restarted = findWorkerPid(app!.shell.pid);
    assert.ok(restarted && restarted !== worker, `a new worker answered (killed ${worker}, now ${restarted})`);

    // The interrupted answer and its mark are stored, not only shown.
    await page.reload();
    await page.getByRole('navigation', { name: 'Conversations' }).getByRole('button', { name: 'MERCUTIO:', exact: true }).click();
    const stored = assistantArticles(page).nth(1);
    await waitForReplyToEnd(stored);
    assert.equal(await messageText(stored), partial);
    assert.ok(await stored.getByRole('note').filter({ hasText: INTERRUPTED }).count(), `after a reload the answer is still marked interrupted: ${await stored.innerText()}`);
  });
});
