// Electron's binary: downloading it at install time without failing the install, and saying
// why it is missing afterwards. package.json's allowScripts denies electron's own postinstall,
// which fails `npm ci` where github.com cannot be reached; the project's postinstall
// (scripts/download-electron.mjs) runs the same install.js through downloadElectron(), and when
// the download fails it records why, so that `npm start` can say why it opens the web shell.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** Hearth's own files about Electron, inside node_modules so that a fresh `npm ci` clears them. */
export function electronStateDir(root: string): string {
  return join(root, 'node_modules', '.hearth-electron');
}

/** Where the reason of a failed download is kept until the next install. */
export function downloadFailureFile(root: string): string {
  return join(electronStateDir(root), 'download-failure.txt');
}

/** Electron's binary, or null where it was never downloaded: require('electron') throws then. */
export function electronBinaryPath(root: string): string | null {
  try {
    const path = createRequire(join(root, 'package.json'))('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

/**
 * The line of install.js's output that says what went wrong: the first line of the error it
 * printed (its stack's head, e.g. "RequestError: getaddrinfo ENOTFOUND github.com").
 */
export function downloadErrorLine(stderr: string, status: number | null): string {
  const line = stderr
    .split('\n')
    .map((text) => text.trim())
    .find((text) => text.length > 0 && !text.startsWith('at '));
  return line ?? `electron's install.js exited with status ${status ?? 'unknown'} and printed nothing`;
}

/** A download that could not reach its host says so: the usual cause is a machine without network. */
function withNetworkHint(errorLine: string): string {
  return /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH/.test(errorLine) ? `${errorLine}; no network?` : errorLine;
}

export type DownloadOutcome = { installed: true; path: string } | { installed: false; reason: string };

/**
 * Runs electron's install.js (which downloads the binary unless it is already there), and
 * records why when there is no binary afterwards; a later success removes the record.
 */
export function downloadElectron(root: string, env: NodeJS.ProcessEnv = process.env): DownloadOutcome {
  const installScript = join(root, 'node_modules', 'electron', 'install.js');
  if (!existsSync(installScript)) return { installed: false, reason: 'the electron package is not installed (npm ci --omit=dev leaves it out)' };
  const run = spawnSync(process.execPath, [installScript], { cwd: join(root, 'node_modules', 'electron'), env, encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] });
  const path = electronBinaryPath(root);
  if (run.status === 0 && path) {
    rmSync(downloadFailureFile(root), { force: true });
    return { installed: true, path };
  }
  const reason =
    run.status === 0
      ? env.ELECTRON_SKIP_BINARY_DOWNLOAD
        ? 'ELECTRON_SKIP_BINARY_DOWNLOAD was set when installing'
        : "electron's install.js finished without installing the binary"
      : `its download failed during npm install (${withNetworkHint(downloadErrorLine(run.stderr ?? String(run.error ?? ''), run.status))})`;
  mkdirSync(electronStateDir(root), { recursive: true });
  writeFileSync(downloadFailureFile(root), `${reason}\n`);
  return { installed: false, reason };
}

/** Why there is no Electron binary, for `npm start` and the Electron specs' skip. */
export function electronMissingReason(root: string): string {
  const recorded = existsSync(downloadFailureFile(root)) ? readFileSync(downloadFailureFile(root), 'utf8').trim() : '';
  const cause = recorded || 'it was not downloaded when installing (ELECTRON_SKIP_BINARY_DOWNLOAD, or no network)';
  return `Electron is not installed: ${cause} (\`node scripts/download-electron.mjs\` tries again)`;
}
