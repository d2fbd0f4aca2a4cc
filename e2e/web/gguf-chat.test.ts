// A GGUF file in the web shell, as a user meets it: imported from the Models page (copied into
// Hearth's data folder with the checkbox), offered in "Model", its Quantization dropdown opening
// on the file's own type "Q4_K_M (as downloaded)" beside the precisions Hearth builds, and a
// message answered by the model built from it. A damaged GGUF file is refused with the file named.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { openAppSession, type AppSession } from './app-session.ts';
import { chooseModel, messageText, modelSelect, precisionSelect, sendMessage, waitForReplyToEnd } from './chat-page.ts';
import { webE2eSkipReason } from './prerequisites.ts';

const Q4_K_M = fileURLToPath(new URL('../../../shared/fixtures/gguf/shakespeare-5m-q4_k_m.gguf', import.meta.url));
const skip = existsSync(Q4_K_M) ? await webE2eSkipReason() : `${Q4_K_M} is absent (the shared GGUF fixtures are not on this machine)`;
const NAME = 'Q4_K_M from llama.cpp';

describe('web shell: a GGUF file imported from the Models page chats', () => {
  let app: AppSession | undefined;
  let page: Page;
  let scratch: string;

  before(async () => {
    if (skip) return;
    scratch = mkdtempSync(join(tmpdir(), 'hearth-e2e-gguf-'));
    app = await openAppSession('gguf');
    page = app.page;
  });

  after(async () => {
    await app?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  function library() {
    return page.getByRole('region', { name: 'Models' });
  }

  async function openPage(name: 'Models' | 'Chat'): Promise<void> {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('button', { name, exact: true }).click();
  }

  async function importGguf(path: string, name: string, copy: boolean): Promise<void> {
    await library().getByRole('textbox', { name: 'Model folder or .gguf file' }).fill(path);
    await library().getByRole('textbox', { name: 'Name (optional)' }).fill(name);
    await library().getByRole('checkbox', { name: "Copy a .gguf file into Hearth's data folder" }).setChecked(copy);
    await library().getByRole('button', { name: 'Import', exact: true }).click();
  }

  test('imported with a copy, offered as downloaded first, and it answers', { skip, timeout: 240_000 }, async () => {
    await openPage('Models');
    await library().getByRole('row', { name: /Shakespeare 5M \(demo\)/ }).waitFor();
    await importGguf(Q4_K_M, NAME, true);
    await library().getByRole('status').filter({ hasText: `Imported ${NAME} (GGUF Q4_K_M, copied into Hearth's data folder).` }).waitFor();
    const row = library().getByRole('row', { name: new RegExp(NAME) });
    assert.match(await row.innerText(), /llama \(GGUF Q4_K_M\)/);
    // The copy is in the data folder; the fixture itself was only read.
    const modelDirs = readdirSync(join(app!.dataDir, 'models'));
    assert.equal(modelDirs.length, 1);
    assert.deepEqual(readFileSync(join(app!.dataDir, 'models', modelDirs[0], 'gguf', 'shakespeare-5m-q4_k_m.gguf')), readFileSync(Q4_K_M));

    await openPage('Chat');
    await modelSelect(page).locator('option', { hasText: NAME }).waitFor({ state: 'attached' });
    await chooseModel(page, NAME);
    const labels = (await precisionSelect(page).locator('option').allInnerTexts()).map((text) => text.trim());
    assert.match(labels[0], /^Q4_K_M \(as downloaded\) — .* — reference quality \(recommended\)$/, labels.join('\n'));
    assert.deepEqual(labels.slice(1).map((label) => label.split(' — ')[0]), ['fp16', 'int8', 'int4'], 'beside the precisions Hearth builds');
    assert.equal(await precisionSelect(page).inputValue(), 'fp32', 'the file as downloaded is chosen');

    const reply = await sendMessage(page, 'Good morrow, my lord.');
    await waitForReplyToEnd(reply);
    const text = await messageText(reply);
    assert.ok(text.length > 0, 'the model built from the GGUF file answered');

    await openPage('Models');
    assert.match(await row.innerText(), /Q4_K_M \(as downloaded\), [\d.]+ [KM]B/, 'the built variant is listed as the file as downloaded');
  });

  test('a truncated GGUF file is refused with the file named, and nothing is added', { skip, timeout: 120_000 }, async () => {
    const broken = join(scratch, 'broken-q4_k_m.gguf');
    const bytes = readFileSync(Q4_K_M);
    writeFileSync(broken, bytes.subarray(0, bytes.length - 4096));
    await openPage('Models');
    const rowsBefore = await library().getByRole('row').count();
    await importGguf(broken, 'Broken GGUF', false);
    const alert = library().getByRole('alert');
    await alert.waitFor();
    const message = await alert.innerText();
    assert.ok(message.includes(broken), `the error names the file: ${message}`);
    assert.match(message, /runs past the end of the file/);
    assert.equal(await library().getByRole('row').count(), rowsBefore);
  });
});
