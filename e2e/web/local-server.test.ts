// The "Local server" page in Chromium on the web shell: it shows the /v1 base URL and the API key
// that `hearth serve` printed, copies each, and that key opens the API; it shows the web shell's
// address with this launch's token; the local-network switch warns, and `hearth serve` started
// again listens on the local network (and stops when it is turned off and started again).
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
    await page.getByRole('button', { name: 'Copy' }).first().click();
    assert.equal(await clipboardText(page), key);
    assert.equal(await page.getByLabel('Web shell address').innerText(), app!.shell.url, 'the address hearth serve printed, token included');

    const models = await fetch(`${baseUrl}/models`, { headers: { Authorization: `Bearer ${key}` } });
    assert.equal(models.status, 200);
    const body = (await models.json()) as { data: { id: string }[] };
    assert.ok(body.data.some((m) => m.id === 'Shakespeare 5M (demo)'));
  });

  test('the local-network switch warns, and takes effect when hearth serve starts again', { skip, timeout: 180_000 }, async () => {
    const localNetwork = () => page.getByRole('checkbox', { name: /local network/ });
    assert.equal(await localNetwork().isChecked(), false, '127.0.0.1 only by default');
    assert.equal(await page.getByRole('alert').count(), 0);
    page.once('dialog', (dialog) => void dialog.accept());
    await localNetwork().click(); // the box shows the setting once the server has stored it
    await page.getByRole('alert').filter({ hasText: 'anyone on your local network' }).waitFor();
    assert.equal(await localNetwork().isChecked(), true);
    await page.getByRole('status').filter({ hasText: 'next starts' }).waitFor();

    assert.equal(await app!.restart(), 0);
    await page.goto(app!.shell.url);
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('button', { name: 'Local server' }).click();
    await page.getByText('Other computers reach it at').waitFor();
    assert.equal(await localNetwork().isChecked(), true, 'the switch is kept');
    assert.equal(await page.getByRole('status').filter({ hasText: 'next starts' }).count(), 0, 'in effect now');
    // The server answers on a non-loopback address of this machine, with the key.
    const address = (await page.getByText('Other computers reach it at').locator('code').allInnerTexts()).find((url) => /^http:\/\/\d+\.\d+\.\d+\.\d+:/.test(url));
    if (address) {
      const key = await page.getByLabel('API key').innerText();
      assert.equal((await fetch(`${address}/models`, { headers: { Authorization: `Bearer ${key}` } })).status, 200, address);
      assert.equal((await fetch(`${address}/models`)).status, 401, 'the key is still required');
    }

    await localNetwork().click();
    await page.getByRole('status').filter({ hasText: 'serves the local network until then' }).waitFor();
    assert.equal(await localNetwork().isChecked(), false);
  });
});
