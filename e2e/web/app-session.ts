// One test file's Hearth as a user meets it: a temporary data folder, `hearth serve` on it, and
// Chromium on the printed address. restart() stops the server and starts it again on the same
// folder (the page is left to the test); close() undoes all three, whatever started.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './chromium.ts';
import { openApp } from './chat-page.ts';
import { startWebShell, type WebShellProcess } from './web-shell-process.ts';

export interface AppSession {
  dataDir: string;
  shell: WebShellProcess;
  page: Page;
  /** Stops `hearth serve` (SIGTERM) and starts it again on the same data folder: resolves with the old one's exit code. */
  restart(): Promise<number | null>;
  /** Closes the browser, stops the server and removes the data folder; resolves with the server's exit code. */
  close(): Promise<number | null>;
}

/** `prepare` runs on the empty data folder before the server starts (e.g. `hearth import`). */
export async function openAppSession(name: string, prepare?: (dataDir: string) => void): Promise<AppSession> {
  const dataDir = mkdtempSync(join(tmpdir(), `hearth-e2e-${name}-`));
  let shell: WebShellProcess | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    const code = (await shell?.stop()) ?? null;
    rmSync(dataDir, { recursive: true, force: true });
    return code;
  };
  try {
    prepare?.(dataDir);
    shell = await startWebShell(dataDir);
    browser = await launchChromium();
    const page = await openApp(browser, shell.url);
    const session: AppSession = {
      dataDir,
      shell,
      page,
      close,
      restart: async () => {
        const code = await session.shell.stop();
        shell = session.shell = await startWebShell(dataDir);
        return code;
      },
    };
    return session;
  } catch (error) {
    await close();
    throw error;
  }
}
