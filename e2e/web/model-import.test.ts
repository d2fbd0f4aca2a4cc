// The model library in the web shell: a Hugging Face folder imported from the Models page shows
// up in the "Model" dropdown; a corrupt folder gets an error that names the broken file, and the
// library stays as it was.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openAppSession, type AppSession } from './app-session.ts';
import { chooseModel, modelSelect, offeredPrecisions } from './chat-page.ts';
import { webE2eSkipReason } from './prerequisites.ts';
import { REPO_ROOT } from './web-shell-process.ts';

const skip = await webE2eSkipReason();
const DEMO_FOLDER = join(REPO_ROOT, 'resources/models/shakespeare-5m');

describe('web shell: importing models from the Models page', () => {
  let foldersDir: string;
  let app: AppSession | undefined;
  let page: Page;

  before(async () => {
    if (skip) return;
    foldersDir = mkdtempSync(join(tmpdir(), 'hearth-e2e-import-folders-'));
    app = await openAppSession('import');
    page = app.page;
  });

  after(async () => {
    await app?.close();
    if (foldersDir) rmSync(foldersDir, { recursive: true, force: true });
  });

  async function modelOptions(): Promise<string[]> {
    return (await modelSelect(page).locator('option').allInnerTexts()).map((t) => t.trim());
  }

  function library() {
    return page.getByRole('region', { name: 'Models' });
  }

  async function openModelsPage(): Promise<void> {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('button', { name: 'Models', exact: true }).click();
    // The table lists the bundled demo once the library has loaded.
    await library().getByRole('row', { name: /Shakespeare 5M \(demo\)/ }).waitFor();
  }

  async function importFolder(folder: string, name: string): Promise<void> {
    await library().getByRole('textbox', { name: 'Model folder' }).fill(folder);
    await library().getByRole('textbox', { name: 'Name (optional)' }).fill(name);
    await library().getByRole('button', { name: 'Import', exact: true }).click();
  }

  /** A copy of the demo folder with one file broken by `breakIt`. */
  function brokenCopy(name: string, breakIt: (folder: string) => void): string {
    const folder = join(foldersDir, name);
    cpSync(DEMO_FOLDER, folder, { recursive: true });
    breakIt(folder);
    return folder;
  }

  test('a folder imported through the UI is listed and offered in "Model"', { skip, timeout: 120_000 }, async () => {
    // The bundled demo is there from the start; wait for the list before counting.
    await modelSelect(page).locator('option', { hasText: 'bundled demo' }).waitFor({ state: 'attached' });
    assert.ok(!(await modelOptions()).includes('Imported in the browser'));
    await openModelsPage();

    // A copy: the demo's own folder is already in the library (as the bundled model), and the
    // same folder imported again gives back the existing entry.
    const folder = join(foldersDir, 'my-model');
    cpSync(DEMO_FOLDER, folder, { recursive: true });
    await importFolder(folder, 'Imported in the browser');
    await library().getByRole('status').filter({ hasText: 'Imported Imported in the browser.' }).waitFor();
    const row = library().getByRole('row', { name: /Imported in the browser/ });
    assert.match(await row.innerText(), /llama/);

    await modelSelect(page).locator('option', { hasText: 'Imported in the browser' }).waitFor({ state: 'attached' });
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('button', { name: 'Chat', exact: true }).click();
    await chooseModel(page, 'Imported in the browser');
    assert.ok((await offeredPrecisions(page)).includes('int4'), 'the imported model gets a precision plan');

    // It is in the library for good, not only in the page's state.
    await page.reload();
    await modelSelect(page).locator('option', { hasText: 'Imported in the browser' }).waitFor({ state: 'attached' });
  });

  for (const corruption of [
    {
      what: 'a truncated model.safetensors',
      file: 'model.safetensors',
      breakIt: (folder: string) => {
        const weights = join(folder, 'model.safetensors');
        truncateSync(weights, Math.floor(statSync(weights).size / 2));
      },
    },
    {
      what: 'a config.json that is not JSON',
      file: 'config.json',
      breakIt: (folder: string) => writeFileSync(join(folder, 'config.json'), '{ "model_type": "llama", '),
    },
  ]) {
    test(`a folder with ${corruption.what} gets an error naming ${corruption.file}, and nothing is added`, { skip, timeout: 120_000 }, async () => {
      const folder = brokenCopy(corruption.file.replace('.', '-'), corruption.breakIt);
      await modelSelect(page).locator('option', { hasText: 'bundled demo' }).waitFor({ state: 'attached' });
      const optionsBefore = await modelOptions();
      await openModelsPage();
      const rowsBefore = await library().getByRole('row').count();

      await importFolder(folder, `Broken ${corruption.file}`);
      const alert = library().getByRole('alert');
      await alert.waitFor();
      const message = await alert.innerText();
      assert.ok(message.includes(corruption.file), `the error names ${corruption.file}: ${message}`);
      assert.ok(message.length > corruption.file.length + 20, `the error says what is wrong: ${message}`);

      // Nothing was added: not to the dropdown, not to the table, not after a reload.
      assert.equal(await library().getByRole('row', { name: new RegExp(`Broken ${corruption.file}`) }).count(), 0);
      assert.equal(await library().getByRole('row').count(), rowsBefore);
      await page.reload();
      await modelSelect(page).locator('option', { hasText: 'bundled demo' }).waitFor({ state: 'attached' });
      assert.deepEqual(await modelOptions(), optionsBefore);
    });
  }
});
