// "Measure quality" in Chromium on the web shell: with the demo model at int4, the Quantization
// dropdown labels int4's cost as typical and names the model it was measured on; Measure quality
// builds and scores int4 and fp32 on the bundled text, and the label becomes this model's own.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { TYPICAL_INT4_PERPLEXITY_INCREASE } from '../../main/engine/memory-plan/precision-plan.ts';
import { openAppSession, type AppSession } from './app-session.ts';
import { chooseModel, precisionSelect } from './chat-page.ts';
import { webE2eSkipReason } from './prerequisites.ts';

const skip = await webE2eSkipReason();
const DEMO = 'Shakespeare 5M (demo) (bundled demo)';

describe('web shell: Measure quality', () => {
  let app: AppSession | undefined;
  let page: Page;

  before(async () => {
    if (skip) return;
    app = await openAppSession('quality');
    page = app.page;
  });

  after(async () => {
    await app?.close();
  });

  test("the typical int4 figure, named as another model's, gives way to this model's measured one", { skip, timeout: 180_000 }, async () => {
    await chooseModel(page, DEMO);
    await precisionSelect(page).selectOption('int4');
    const int4 = precisionSelect(page).locator('option[value="int4"]');
    const typical = `+${(TYPICAL_INT4_PERPLEXITY_INCREASE * 100).toFixed(1)} % perplexity (typical, measured on shakespeare-5m)`;
    assert.ok((await int4.innerText()).includes(typical), `${await int4.innerText()} names ${typical}`);

    const measure = page.getByRole('button', { name: 'Measure quality' });
    await measure.click();
    await precisionSelect(page).locator('option[value="int4"]', { hasText: 'measured on this model' }).waitFor({ state: 'attached' });
    assert.doesNotMatch(await int4.innerText(), /typical/);
    assert.match(await page.locator('#precision-detail').innerText(), /perplexity, measured on this model/);
    await measure.waitFor({ state: 'detached' });
    // int8 was not measured: it still says whose figure it shows.
    assert.match(await precisionSelect(page).locator('option[value="int8"]').innerText(), /typical, measured on shakespeare-5m/);
  });
});
