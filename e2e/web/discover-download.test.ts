// The Discover page as a user meets it, in Chromium on the web shell started with HF_ENDPOINT
// pointing at the project's stand-in Hub (a real HTTP server on 127.0.0.1): a search finds the
// model, its card shows the size per precision with the fit badge, "Download" shows a progress bar
// that moves (on the Models page too), Pause keeps what was fetched and Resume finishes it, the model is
// then in the library, "Chat with it" opens a chat with it chosen, and it answers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { demoModelRepo, DEMO_MODEL_DIR, StandInHub } from '../../main/hub/test/stand-in-hub.ts';
import { openAppSession, type AppSession } from './app-session.ts';
import { messageText, modelSelect, sendMessage, waitForReplyToEnd } from './chat-page.ts';
import { webE2eSkipReason } from './prerequisites.ts';

const skip = await webE2eSkipReason();
const REPO = 'bard-works/tiny-bard-5m';
const WEIGHTS = 'model.safetensors';
const GATED = 'bard-works/gated-bard-5m';

/** The requests for the weights, at the Hub or at the CDN it redirects them to. */
function weightRequests(hub: StandInHub) {
  return hub.requests.filter((r) => r.path.split('/').includes(WEIGHTS));
}

describe('web shell: a model found on the Discover page downloads and chats', () => {
  let hub: StandInHub | undefined;
  let app: AppSession | undefined;
  let page: Page;
  const endpointBefore = process.env.HF_ENDPOINT;

  before(async () => {
    if (skip) return;
    hub = await StandInHub.start([
      await demoModelRepo(REPO, { downloads: 4321, likes: 21 }),
      await demoModelRepo('someone-else/unrelated'),
      await demoModelRepo(GATED, { gated: 'manual' }),
    ]);
    // Slow enough for the bar to be seen moving, on two pages, and for Pause to land mid-file (9 MB at 1 MB/s).
    hub.throttle(WEIGHTS, 1_000_000);
    // `hearth serve` inherits the environment: the app talks to the stand-in Hub as to huggingface.co.
    process.env.HF_ENDPOINT = hub.url;
    app = await openAppSession('discover');
    page = app.page;
  });

  after(async () => {
    await app?.close();
    await hub?.close();
    if (endpointBefore === undefined) delete process.env.HF_ENDPOINT;
    else process.env.HF_ENDPOINT = endpointBefore;
  });

  function discover() {
    return page.getByRole('region', { name: 'Discover' });
  }

  /** Polls `check` until it holds (a condition, never a fixed wait). */
  async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
  }

  async function barValue(): Promise<number> {
    return Number((await discover().getByRole('progressbar', { name: `Download of ${REPO}` }).first().getAttribute('value')) ?? 0);
  }

  test('search, sizes and fit, download with a progress bar, pause and resume, then chat', { skip, timeout: 300_000 }, async () => {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('button', { name: 'Discover', exact: true }).click();
    await discover().getByRole('searchbox', { name: 'Search models on the Hub' }).fill('tiny-bard');
    const card = discover().getByRole('list', { name: 'Models on the Hub' }).getByRole('listitem', { name: REPO, exact: true });
    await card.waitFor();
    assert.equal(await discover().getByRole('listitem', { name: 'someone-else/unrelated' }).count(), 0, 'only what matches the search');
    assert.match(await card.innerText(), /4\.3K downloads · 21 likes/);

    // The size per precision and fit badge, planned from config.json before anything is downloaded.
    const sizes = card.getByRole('list', { name: `Size per precision of ${REPO}` });
    await sizes.waitFor();
    const rows = (await sizes.getByRole('listitem').allInnerTexts()).map((t) => t.trim());
    assert.deepEqual(rows.map((r) => r.split(':')[0]), ['fp32', 'fp16', 'int8', 'int4']);
    assert.ok(rows.every((r) => / — fits (in RAM \(CPU\)|on GPU)/.test(r)), rows.join('\n'));

    await card.getByRole('button', { name: /^Download \(9 MB\)$/ }).click();
    const bar = discover().getByRole('progressbar', { name: `Download of ${REPO}` }).first();
    await bar.waitFor();
    // The bar moves while the weights come (throttled), and says the speed and the time left.
    await until('the bar is between 10 % and 60 %', async () => {
      const value = await barValue();
      return value > 0.1 && value < 0.6;
    });
    const status = await card.getByRole('status').innerText();
    assert.match(status, /\d+ %\s+[\d.]+ [KM]B of 9 MB · [\d.]+ [KM]B\/s · \d+ s left/, status);

    // The Models page shows the download under way too; back on Discover, the search and the card are still there.
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('button', { name: 'Models', exact: true }).click();
    await page.getByRole('region', { name: 'Models' }).getByRole('list', { name: 'Downloads under way' }).getByRole('progressbar', { name: `Download of ${REPO}` }).waitFor();
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('button', { name: 'Discover', exact: true }).click();
    assert.equal(await discover().getByRole('searchbox', { name: 'Search models on the Hub' }).inputValue(), 'tiny-bard');
    await card.getByRole('button', { name: 'Pause' }).waitFor();

    // Pause keeps what was fetched; Resume carries on from it.
    await card.getByRole('button', { name: 'Pause' }).click();
    await card.getByText(`Paused: ${REPO}`).waitFor();
    const pausedAt = await barValue();
    assert.ok(pausedAt > 0.1 && pausedAt < 1, `paused at ${pausedAt}`);
    hub!.throttle(WEIGHTS, 8_000_000);
    await card.getByRole('button', { name: 'Resume' }).click();
    await card.getByText(`In the library: ${REPO}`).waitFor({ timeout: 120_000 });
    assert.ok(weightRequests(hub!).some((r) => r.range !== null && r.range !== 'bytes=0-'), 'the resume asked for the rest with a Range request');
    const destWeights = join(app!.dataDir, 'downloads', ...REPO.split('/'), WEIGHTS);
    assert.deepEqual(readFileSync(destWeights), readFileSync(join(DEMO_MODEL_DIR, WEIGHTS)), 'the weights are byte-exact');

    // In the library, and a chat with it.
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('button', { name: 'Models', exact: true }).click();
    await page.getByRole('region', { name: 'Models' }).getByRole('row', { name: new RegExp(REPO) }).waitFor();
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('button', { name: 'Discover', exact: true }).click();
    await discover().getByRole('list', { name: 'Downloads' }).getByRole('button', { name: 'Chat with it' }).click();
    await until('the chat has the downloaded model chosen', async () => (await modelSelect(page).locator('option:checked').innerText()).includes(REPO));
    const reply = await sendMessage(page, 'Good morrow, my lord.');
    await waitForReplyToEnd(reply);
    assert.ok((await messageText(reply)).length > 0, 'the downloaded model answered');
  });

  test('a gated repo asks for a token, says where to accept its licence, and with the token shows its sizes', { skip, timeout: 120_000 }, async () => {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('button', { name: 'Discover', exact: true }).click();
    await discover().getByRole('searchbox', { name: 'Search models on the Hub' }).fill('gated-bard');
    const card = discover().getByRole('listitem', { name: GATED, exact: true });
    const form = card.getByRole('form', { name: 'Hugging Face token' });
    await form.waitFor();
    assert.equal(await form.getByRole('link', { name: `${hub!.url}/${GATED}` }).getAttribute('href'), `${hub!.url}/${GATED}`, 'where to accept the licence');
    await form.getByLabel('Access token').fill(hub!.token);
    await form.getByRole('button', { name: 'Save token' }).click();
    await card.getByRole('list', { name: `Size per precision of ${GATED}` }).waitFor();
    assert.ok(await card.getByRole('button', { name: /^Download/ }).isEnabled());
    // The page never gets the token back: the Hub settings show it masked.
    await discover().getByText(`token hf_…${hub!.token.slice(-4)}`).waitFor();
    assert.ok(!(await page.content()).includes(hub!.token), 'the token is nowhere in the page');
  });
});
