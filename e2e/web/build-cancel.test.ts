// A variant build in Chromium on the web shell: choosing int4 for the demo model shows the
// build's progress in the top bar with a Cancel button; Cancel stops it (the bar says so, the
// variant stays not built, no partial folder is left), "Build int4" starts it again, and the
// build then completes with its progress (step, bytes) shown on the way.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openAppSession, type AppSession } from './app-session.ts';
import { chooseModel, precisionSelect } from './chat-page.ts';
import { webE2eSkipReason } from './prerequisites.ts';

const skip = await webE2eSkipReason();
const DEMO = 'Shakespeare 5M (demo) (bundled demo)';
const DEMO_ID = 'shakespeare-5m';

describe('web shell: a variant build with progress and Cancel', () => {
  let app: AppSession | undefined;
  let page: Page;

  before(async () => {
    if (skip) return;
    app = await openAppSession('build-cancel');
    page = app.page;
  });

  after(async () => {
    await app?.close();
  });

  /**
   * The demo model's int4 folders that are builds still being written. (Choosing the model may
   * also start its default variant's build, fp32, which Cancel of int4 leaves running.)
   */
  function int4PartialFolders(): string[] {
    const dir = join(app!.dataDir, 'models', DEMO_ID);
    return existsSync(dir) ? readdirSync(dir).filter((name) => name.startsWith('int4-') && name.includes('.partial')) : [];
  }

  test('Cancel stops the int4 build and leaves it not built; Build int4 builds it', { skip, timeout: 180_000 }, async () => {
    await chooseModel(page, DEMO);
    await precisionSelect(page).selectOption('int4');
    // The bar shows from the click on; Cancel comes while the build worker is still starting or writing.
    const cancel = page.getByRole('button', { name: 'Cancel the int4 build' });
    await cancel.click();
    await page.getByRole('status').filter({ hasText: 'The int4 build was cancelled; int4 is not built.' }).waitFor();
    assert.deepEqual(int4PartialFolders(), [], 'nothing the int4 build wrote is left');
    assert.ok(!existsSync(join(app!.dataDir, 'models', DEMO_ID, 'int4-fused')), 'no int4 variant folder');

    const labels: string[] = [];
    const bar = page.locator('.build-progress');
    await page.getByRole('button', { name: 'Build int4' }).click();
    // Collect what the bar says until it goes (the variant is ready).
    await bar.first().waitFor();
    while ((await bar.count()) > 0) {
      // Briefly: the bar may go between the count and the read.
      const text = await bar.first().innerText({ timeout: 200 }).catch(() => '');
      if (text) labels.push(text);
      await page.waitForTimeout(20);
    }
    assert.ok(existsSync(join(app!.dataDir, 'models', DEMO_ID, 'int4-fused', 'hearth.json')), 'the int4 variant was built');
    assert.ok(
      labels.some((l) => /^Building int4: layer \d of 6 · [\d.]+ (KB|MB) of about [\d.]+ MB/.test(l)),
      `the bar showed the step and the bytes written: ${JSON.stringify(labels)}`,
    );
    await page.getByRole('status').filter({ hasText: 'was cancelled' }).waitFor({ state: 'detached' });
  });
});
