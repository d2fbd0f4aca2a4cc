// The install-time Electron download: a failed download is recorded with its reason (and the
// install goes on), `npm start`'s reason names it, and a later success clears it. Each case runs
// downloadElectron against a scratch project whose electron/install.js plays the download's
// outcome (the download itself is from github.com, outside this machine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { downloadElectron, downloadErrorLine, downloadFailureFile, electronBinaryPath, electronMissingReason } from './electron-binary.ts';

/** electron's index.js as published: the binary's path from path.txt, and a throw when it is missing. */
const ELECTRON_INDEX = `
const fs = require('fs'); const path = require('path');
const pathFile = path.join(__dirname, 'path.txt');
if (!fs.existsSync(pathFile)) throw new Error('Electron failed to install correctly, please delete node_modules/electron and try installing again');
module.exports = path.join(__dirname, 'dist', fs.readFileSync(pathFile, 'utf8'));
`;

const NO_NETWORK = `
console.error('RequestError: getaddrinfo ENOTFOUND github.com');
console.error('    at ClientRequest.<anonymous> (/x/node_modules/got/dist/source/core/index.js:970:111)');
process.exit(1);
`;

const DOWNLOADS = `
const fs = require('fs'); const path = require('path');
fs.mkdirSync(path.join(__dirname, 'dist'), { recursive: true });
fs.writeFileSync(path.join(__dirname, 'dist', 'electron'), 'binary');
fs.writeFileSync(path.join(__dirname, 'path.txt'), 'electron');
`;

function scratchProject(t: TestContext, installScript: string | null): string {
  const root = mkdtempSync(join(tmpdir(), 'hearth-electron-download-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(join(root, 'package.json'), '{"name":"scratch","private":true}');
  if (installScript !== null) {
    const electron = join(root, 'node_modules', 'electron');
    mkdirSync(electron, { recursive: true });
    writeFileSync(join(electron, 'package.json'), '{"name":"electron","version":"40.10.2","main":"index.js"}');
    writeFileSync(join(electron, 'index.js'), ELECTRON_INDEX);
    writeFileSync(join(electron, 'install.js'), installScript);
  }
  return root;
}

test('a download that cannot reach github.com is recorded, and npm start says why Electron is missing', (t) => {
  const root = scratchProject(t, NO_NETWORK);
  const outcome = downloadElectron(root, {});
  assert.equal(outcome.installed, false);
  assert.equal(electronBinaryPath(root), null);
  assert.match(readFileSync(downloadFailureFile(root), 'utf8'), /getaddrinfo ENOTFOUND github\.com; no network\?/);
  assert.equal(
    electronMissingReason(root),
    'Electron is not installed: its download failed during npm install (RequestError: getaddrinfo ENOTFOUND github.com; no network?) (`node scripts/download-electron.mjs` tries again)',
  );
});

test('a download that succeeds later clears the recorded failure', (t) => {
  const root = scratchProject(t, NO_NETWORK);
  downloadElectron(root, {});
  writeFileSync(join(root, 'node_modules', 'electron', 'install.js'), DOWNLOADS);
  const outcome = downloadElectron(root, {});
  assert.deepEqual(outcome, { installed: true, path: join(root, 'node_modules', 'electron', 'dist', 'electron') });
  assert.equal(existsSync(downloadFailureFile(root)), false);
});

test('ELECTRON_SKIP_BINARY_DOWNLOAD is named as the reason when it was set', (t) => {
  const root = scratchProject(t, 'process.exit(0);');
  const outcome = downloadElectron(root, { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' });
  assert.deepEqual(outcome, { installed: false, reason: 'ELECTRON_SKIP_BINARY_DOWNLOAD was set when installing' });
  assert.match(electronMissingReason(root), /^Electron is not installed: ELECTRON_SKIP_BINARY_DOWNLOAD was set when installing/);
});

test('without the electron package (npm ci --omit=dev) there is nothing to download and nothing fails', (t) => {
  const root = scratchProject(t, null);
  const outcome = downloadElectron(root, {});
  assert.equal(outcome.installed, false);
  assert.match(outcome.installed ? '' : outcome.reason, /not installed/);
  assert.match(electronMissingReason(root), /^Electron is not installed: it was not downloaded/);
});

test("the reason is the error's first line, not its stack", () => {
  assert.equal(downloadErrorLine('\nHTTPError: Response code 404 (Not Found)\n    at Request.<anonymous> (x.js:1:1)\n', 1), 'HTTPError: Response code 404 (Not Found)');
  assert.equal(downloadErrorLine('', 7), "electron's install.js exited with status 7 and printed nothing");
});
