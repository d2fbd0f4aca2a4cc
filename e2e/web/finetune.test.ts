// Issue 5's "Done when" in Chromium: on the Fine-tune page, a LoRA job on the bundled demo model
// with a small greeting dataset is launched, its loss chart grows point by point, it is
// cancelled and resumed (the step goes on from the checkpoint, never back to 0), it finishes,
// its adapter answers in a chat, and merging it adds a model to the "Model" dropdown.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openAppSession, type AppSession } from './app-session.ts';
import { assistantArticles, messageText, modelSelect, sendMessage, waitForReplyToEnd } from './chat-page.ts';
import { chartPoints, jobForm, openFineTunePage, setParameter, shownStep, shownState, waitForPoints, waitForState } from './finetune-page.ts';
import { webE2eSkipReason } from './prerequisites.ts';

const skip = await webE2eSkipReason();
const NAMES = ['Romeo', 'Juliet', 'Hamlet', 'Ophelia', 'Macbeth', 'Portia', 'Viola', 'Lear', 'Puck', 'Oberon', 'Titania', 'Othello', 'Iago', 'Desdemona', 'Horatio', 'Banquo', 'Cordelia', 'Prospero', 'Miranda', 'Ariel'];
const STEPS = 60;
const MERGED_NAME = 'Shakespeare greeter';

describe('web shell: fine-tuning on the Fine-tune page', () => {
  let datasetDir: string;
  let app: AppSession | undefined;
  let page: Page;

  before(async () => {
    if (skip) return;
    datasetDir = mkdtempSync(join(tmpdir(), 'hearth-e2e-greet-'));
    const rows = NAMES.map((name) => JSON.stringify({ messages: [{ role: 'user', content: `Greet ${name}.` }, { role: 'assistant', content: `Good morrow, ${name}!` }] }));
    writeFileSync(join(datasetDir, 'greet.jsonl'), rows.join('\n') + '\n');
    app = await openAppSession('finetune');
    page = app.page;
  });

  after(async () => {
    if (datasetDir) rmSync(datasetDir, { recursive: true, force: true });
    if (!app) return;
    const stderr = app.shell.stderr();
    const code = await app.close();
    assert.equal(code, 0, `hearth serve did not exit cleanly on SIGTERM:\n${stderr}`);
  });

  test('a job launches, its loss chart grows, and it can be cancelled, resumed and finished', { skip, timeout: 180_000 }, async () => {
    await openFineTunePage(page);
    const form = jobForm(page);
    await form.getByRole('combobox', { name: 'Base model' }).selectOption({ label: 'Shakespeare 5M (demo)' });
    await form.getByRole('textbox', { name: 'Training data', exact: true }).fill(join(datasetDir, 'greet.jsonl'));
    const preview = page.getByRole('region', { name: 'Training data preview' });
    await preview.getByRole('status').filter({ hasText: 'Valid: 20 rows (20 chat).' }).waitFor();
    assert.match(await preview.getByRole('table').innerText(), /Greet Romeo\.\s*·\s*assistant: Good morrow, Romeo!/);
    assert.equal(await form.getByRole('textbox', { name: 'Learning rate', exact: true }).inputValue(), '0.002', 'the tiny model starts at 2e-3');
    await setParameter(page, 'Steps', String(STEPS));
    await setParameter(page, 'Checkpoint every', '10');
    await setParameter(page, 'Evaluate every', '20');
    await form.getByRole('button', { name: 'Start fine-tune', exact: true }).click();

    // The chart grows while the job runs.
    const growing = (await waitForPoints(page, (n) => n >= 12)).map((s) => s.points);
    const distinct = [...new Set(growing.filter((n) => n > 0))];
    assert.ok(distinct.length >= 2, `the chart should grow point by point; counts seen: ${JSON.stringify(growing)}`);
    assert.match(await page.getByRole('group', { name: 'Job progress' }).innerText(), new RegExp(`Step \\d+ of ${STEPS}`));

    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await waitForState(page, 'Cancelled');
    const stoppedAt = await shownStep(page);
    assert.ok(stoppedAt >= 12 && stoppedAt < STEPS, `cancelled at step ${stoppedAt}`);
    assert.equal(await chartPoints(page), stoppedAt, 'one point per step trained');
    await page.getByText(`Continues from the checkpoint at step ${stoppedAt}.`).waitFor();

    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    // Watched from the click until the curve passes the checkpoint: neither the step nor the curve goes back.
    const afterResume = await waitForPoints(page, (n) => n > stoppedAt + 2);
    assert.ok(
      afterResume.every((s) => s.points >= stoppedAt && s.step >= stoppedAt),
      `the job continued from the checkpoint at step ${stoppedAt}; looks: ${JSON.stringify(afterResume)}`,
    );
    assert.ok((await shownStep(page)) > stoppedAt);

    await waitForState(page, 'Completed');
    assert.equal(await chartPoints(page), STEPS);
    assert.equal(await shownState(page), 'Completed');
    assert.equal(Number(await page.getByRole('figure', { name: 'Loss chart' }).getAttribute('data-eval-points')), 3, 'evaluations at steps 20, 40 and 60');
    const history = page.getByRole('navigation', { name: 'Job history' });
    assert.match(await history.innerText(), /greet\.jsonl on Shakespeare 5M \(demo\)\s*Completed · Step 60 of 60/);
  });

  test('the finished adapter answers in a chat, shown in the top bar', { skip, timeout: 120_000 }, async () => {
    await page.getByRole('group', { name: 'Adapter' }).getByRole('button', { name: 'Chat with adapter', exact: true }).click();
    await page.getByRole('group', { name: 'Adapter in use' }).filter({ hasText: 'greet on Shakespeare 5M (demo)' }).waitFor();
    const reply = await sendMessage(page, 'Greet Juliet.');
    await waitForReplyToEnd(reply);
    const text = await messageText(reply);
    assert.ok(text.length > 0, 'a reply arrived');
    assert.equal(await assistantArticles(page).count(), 1);
  });

  test('merging the adapter adds a new model to the Model dropdown', { skip, timeout: 120_000 }, async () => {
    await openFineTunePage(page);
    const merge = page.getByRole('form', { name: 'Merge into a new model' });
    await merge.getByRole('textbox', { name: 'New model name' }).fill(MERGED_NAME);
    await merge.getByRole('button', { name: 'Merge into new model', exact: true }).click();
    await page.getByRole('status').filter({ hasText: `Merged into the new model “${MERGED_NAME}”` }).waitFor();
    await modelSelect(page).locator('option', { hasText: MERGED_NAME }).waitFor({ state: 'attached' });
    const labels = await modelSelect(page).locator('option').allInnerTexts();
    assert.ok(labels.includes(MERGED_NAME), `the Model dropdown offers ${JSON.stringify(labels)}`);
  });
});
