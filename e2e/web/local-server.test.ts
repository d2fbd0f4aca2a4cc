// The "Local server" page in Chromium on the web shell: it shows the /v1 base URL and the API key
// that `hearth serve` printed, copies each, and that key opens the API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { openAppSession, type AppSession } from './app-session.ts';
import { webE2eSkipReason } from './prerequisites.ts';

const skip = await webE2eSkipReason();

/** What the page's clipboard holds, read in the page (this file is compiled without the DOM's types). */
function clipboardText(page: Page): Promise<string> {
  return page.evaluate('navigator.clipboard.readText()') as Promise<string>;
}

describe('web shell: Local server page', () => {
  let app: AppSession | undefined;
  let page: Page;

  before(async () => {
    if (skip) return;
    app = await openAppSession('local-server');
    page = app.page;
  });

  after(async () => {
    await app?.close();
  });

  test('shows the base URL and key, copies them, and the key opens /v1', { skip, timeout: 120_000 }, async () => {
    const origin = new URL(app!.shell.url).origin;
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('button', { name: 'Local server' }).click();

    const baseUrl = await page.getByLabel('Base URL').innerText();
    assert.equal(baseUrl, `${origin}/v1`);
    const key = await page.getByLabel('API key').innerText();
    assert.match(key, /^hearth-[A-Za-z0-9_-]{43}$/);

    await page.getByRole('button', { name: 'Copy' }).first().click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    assert.equal(await clipboardText(page), baseUrl);
    await page.getByRole('button', { name: 'Copy' }).click();
    assert.equal(await clipboardText(page), key);

    const models = await fetch(`${baseUrl}/models`, { headers: { Authorization: `Bearer ${key}` } });
    assert.equal(models.status, 200);
    const body = (await models.json()) as { data: { id: string }[] };
    assert.ok(body.data.some((m) => m.id === 'Shakespeare 5M (demo)'));
  });
});
