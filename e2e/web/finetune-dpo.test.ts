// DPO in Chromium: on the Fine-tune page, the method dropdown switches the form to DPO (a Beta
// field, preference pairs in the preview), a short job on the bundled demo model runs to its
// end, and its loss chart and its rewards and preference-accuracy charts are drawn for the train
// steps and the evaluations.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openAppSession, type AppSession } from './app-session.ts';
import { chartPoints, jobForm, openFineTunePage, setParameter, waitForState } from './finetune-page.ts';
import { webE2eSkipReason } from './prerequisites.ts';

const skip = await webE2eSkipReason();
const NAMES = ['Romeo', 'Juliet', 'Hamlet', 'Ophelia', 'Macbeth', 'Portia', 'Viola', 'Lear', 'Puck', 'Oberon', 'Titania', 'Othello', 'Iago', 'Desdemona', 'Horatio', 'Banquo', 'Cordelia', 'Prospero', 'Miranda', 'Ariel'];
const STEPS = 12;

describe('web shell: a DPO job on the Fine-tune page', () => {
  let datasetDir: string;
  let app: AppSession | undefined;
  let page: Page;

  before(async () => {
    if (skip) return;
    datasetDir = mkdtempSync(join(tmpdir(), 'hearth-e2e-prefs-'));
    const rows = NAMES.map((name) =>
      JSON.stringify({ prompt: [{ role: 'user', content: `Greet ${name}.` }], chosen: [{ role: 'assistant', content: `Good morrow, ${name}!` }], rejected: [{ role: 'assistant', content: `Away with thee, ${name}!` }] }),
    );
    writeFileSync(join(datasetDir, 'prefs.jsonl'), rows.join('\n') + '\n');
    app = await openAppSession('finetune-dpo');
    page = app.page;
  });

  after(async () => {
    if (datasetDir) rmSync(datasetDir, { recursive: true, force: true });
    if (!app) return;
    const stderr = app.shell.stderr();
    const code = await app.close();
    assert.equal(code, 0, `hearth serve did not exit cleanly on SIGTERM:\n${stderr}`);
  });

  test('the DPO form takes preference pairs and beta, and the job draws its loss, rewards and accuracy', { skip, timeout: 180_000 }, async () => {
    await openFineTunePage(page);
    const form = jobForm(page);
    assert.equal(await form.getByRole('textbox', { name: 'Beta', exact: true }).count(), 0, 'SFT has no beta');
    await form.getByRole('combobox', { name: 'Method' }).selectOption({ label: 'DPO (preference pairs)' });
    assert.equal(await form.getByRole('textbox', { name: 'Beta', exact: true }).inputValue(), '0.1', "TRL's default beta");
    await form.getByRole('combobox', { name: 'Base model' }).selectOption({ label: 'Shakespeare 5M (demo)' });
    await form.getByRole('textbox', { name: 'Training data', exact: true }).fill(join(datasetDir, 'prefs.jsonl'));
    const preview = page.getByRole('region', { name: 'Training data preview' });
    await preview.getByRole('status').filter({ hasText: 'Valid: 20 rows (20 preference).' }).waitFor();
    assert.match(await preview.getByRole('table').innerText(), /chosen: assistant: Good morrow, Romeo! · rejected: assistant: Away with thee, Romeo!/);
    await setParameter(page, 'Steps', String(STEPS));
    await setParameter(page, 'Evaluate every', '6');
    await setParameter(page, 'Checkpoint every', '0');
    await form.getByRole('button', { name: 'Start fine-tune', exact: true }).click();

    await waitForState(page, 'Completed');
    assert.match(await page.locator('.job-config').innerText(), /^DPO, beta 0\.1, /);
    assert.equal(await chartPoints(page), STEPS, 'the loss chart has a point per step');
    const rewards = page.getByRole('figure', { name: 'Rewards chart' });
    const accuracy = page.getByRole('figure', { name: 'Preference accuracy chart' });
    assert.equal(Number(await rewards.getAttribute('data-points')), STEPS);
    assert.equal(Number(await rewards.getAttribute('data-eval-points')), 2, 'evaluations at steps 6 and 12');
    assert.equal(Number(await accuracy.getAttribute('data-points')), STEPS);
    assert.equal(Number(await accuracy.getAttribute('data-eval-points')), 2);
    assert.equal(await rewards.locator('canvas').count(), 1, 'the rewards chart is drawn');
    const caption = await rewards.locator('figcaption').innerText();
    const margin = /eval at step 12: chosen -?\d+\.\d+, rejected -?\d+\.\d+, margin (-?\d+\.\d+)/.exec(caption);
    assert.ok(margin && Number(margin[1]) > 0, `the held-out pairs prefer the chosen answers: ${caption}`);
    assert.match(await accuracy.locator('figcaption').innerText(), /eval 100 % at step 12/);
  });
});
