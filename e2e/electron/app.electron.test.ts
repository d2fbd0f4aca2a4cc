// Drives the real Electron app (the unfused app/main.js: Playwright's launch needs the inspect
// arguments that the packaged app's fuses turn off) and checks the security settings from the
// inside. It opens the store with the Electron build of better-sqlite3 that `npm start` makes
// (made here too when missing). Where the Electron binary is absent (its download failed: no
// network) or that build cannot be made, the whole suite is reported as skipped, with the reason.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron } from 'playwright-core';
import type { ElectronApplication, Page } from 'playwright-core';
import { electronBinaryPath, electronMissingReason } from '../../scripts/electron-binary.ts';
import { buildSqliteForElectron } from '../../scripts/electron-sqlite-build.ts';

const root = new URL('../../', import.meta.url).pathname;

/** The Electron build of better-sqlite3 (node_modules keeps Node's for the other tests), or why there is none. */
function sqliteForElectron(electronPath: string): { path: string } | { reason: string } {
  try {
    return { path: buildSqliteForElectron(root, electronPath) };
  } catch (error) {
    return { reason: error instanceof Error ? error.message : String(error) };
  }
}

const executablePath = electronBinaryPath(root);
const sqlite = executablePath === null ? null : sqliteForElectron(executablePath);
const skip = executablePath === null ? electronMissingReason(root) : sqlite && 'reason' in sqlite ? sqlite.reason : false;

// Each test carries the skip (not only the suite), so the runner's summary counts them as skipped.
describe('the Electron app', () => {
  let app: ElectronApplication;
  let page: Page;
  let dataDir: string;

  before(async () => {
    if (skip) return;
    if (!existsSync(join(root, 'app/main.js')) || !existsSync(join(root, 'app/renderer/index.html'))) {
      const built = spawnSync(process.execPath, [join(root, 'scripts/build-app.mjs')], { cwd: root, stdio: 'inherit' });
      assert.equal(built.status, 0, 'npm run build failed');
    }
    dataDir = mkdtempSync(join(tmpdir(), 'hearth-electron-e2e-'));
    app = await _electron.launch({
      executablePath: executablePath as string,
      args: [join(root, 'app/main.js')],
      cwd: root,
      env: { ...process.env, HEARTH_DATA_DIR: dataDir, HEARTH_SQLITE_BINDING: sqlite && 'path' in sqlite ? sqlite.path : '' } as Record<string, string>,
      timeout: 60_000,
    });
    page = await app.firstWindow();
    await page.waitForLoadState('domcontentloaded');
  });

  after(async () => {
    await app?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('loads the renderer from app://hearth/ with the UI in place', { skip }, async () => {
    assert.match(page.url(), /^app:\/\/hearth\//);
    await page.getByRole('combobox', { name: 'Model' }).waitFor({ timeout: 30_000 });
  });

  test('the window is isolated and sandboxed, with no Node in the page', { skip }, async () => {
    const prefs = await app.evaluate(({ BrowserWindow }) => {
      const contents = BrowserWindow.getAllWindows()[0].webContents as unknown as { getLastWebPreferences(): Record<string, unknown> };
      return contents.getLastWebPreferences();
    });
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.webSecurity, true);
    // Page-side code is passed as text: the project's TypeScript has no DOM library.
    const globals = await page.evaluate(`({
      require: typeof window.require,
      process: typeof window.process,
      bridge: Object.keys(window.hearth).sort(),
    })`);
    assert.deepEqual(globals, { require: 'undefined', process: 'undefined', bridge: ['call', 'pickPath', 'subscribe'] });
  });

  test('the bridge answers API calls with the envelope, and refuses unknown methods as data', { skip }, async () => {
    const results = (await page.evaluate(`Promise.all([
      window.hearth.call('app.status', {}),
      window.hearth.call('fs.readFile', { path: '/etc/passwd' }),
      window.hearth.pickPath({ kind: 'disk', title: 'x' }),
    ])`)) as { ok: boolean; error?: { code: string } }[];
    assert.equal(results[0].ok, true);
    assert.deepEqual([results[1].ok, results[1].error?.code], [false, 'not-found'], 'an unknown method is refused as answerApiCall refuses it');
    assert.deepEqual([results[2].ok, results[2].error?.code], [false, 'invalid-input'], 'the picker checks its request before any dialog opens');
  });

  test('the CSP forbids eval and inline scripts', { skip }, async () => {
    const outcome = await page.evaluate(`(() => {
      let evalBlocked = false;
      try { eval('1'); } catch { evalBlocked = true; }
      const script = document.createElement('script');
      script.textContent = 'window.__inlineRan = true';
      document.head.append(script);
      return { evalBlocked, inlineRan: window.__inlineRan === true };
    })()`);
    assert.deepEqual(outcome, { evalBlocked: true, inlineRan: false });
  });

  test('navigation away, new windows and permissions are denied', { skip }, async () => {
    const before = page.url();
    await page.evaluate(`window.location.href = 'file:///etc/hostname'`);
    await page.waitForTimeout(500);
    assert.equal(page.url(), before, 'navigation to file:// was refused');
    const opened = await page.evaluate(`window.open('app://hearth/index.html') === null`);
    assert.equal(opened, true, 'window.open is denied');
    assert.equal((await app.windows()).length, 1);
    const permission = await page.evaluate(`Notification.requestPermission()`);
    assert.equal(permission, 'denied');
  });
});
