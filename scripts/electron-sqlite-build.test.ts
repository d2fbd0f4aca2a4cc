// The Electron build of better-sqlite3: where it is kept (beside Node's build, never over it),
// what targets it, and that a build already made is used as it is. The build itself needs
// Electron's binary and a download (a prebuilt binary or Electron's headers), so it is checked
// where `npm start` runs it, not here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { electronStateDir } from './electron-binary.ts';
import { buildSqliteForElectron, electronBuildEnvironment, electronSqliteBindingPath, ELECTRON_HEADERS_URL, failureSummary, installedTarget } from './electron-sqlite-build.ts';

const root = new URL('..', import.meta.url).pathname;
const TARGET = { sqliteVersion: '12.11.1', electronVersion: '40.10.2', platform: 'linux', arch: 'x64' };

test("the Electron build lives in node_modules/.hearth-electron, apart from Node's build, named by everything it was built for", () => {
  const path = electronSqliteBindingPath('/repo', TARGET);
  assert.equal(path, '/repo/node_modules/.hearth-electron/better-sqlite3-12.11.1-electron-40.10.2-linux-x64.node');
  const nodeBuild = createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');
  assert.notEqual(dirname(electronSqliteBindingPath(root, installedTarget(root))), dirname(nodeBuild));
  for (const change of [{ sqliteVersion: '12.12.0' }, { electronVersion: '41.0.0' }, { platform: 'darwin' }, { arch: 'arm64' }]) {
    assert.notEqual(electronSqliteBindingPath('/repo', { ...TARGET, ...change }), path, JSON.stringify(change));
  }
});

test('the installed target is the installed better-sqlite3 and Electron packages on this machine', () => {
  const target = installedTarget(root);
  const require = createRequire(import.meta.url);
  assert.equal(target.sqliteVersion, (require('better-sqlite3/package.json') as { version: string }).version);
  assert.equal(target.electronVersion, (require('electron/package.json') as { version: string }).version);
  assert.deepEqual([target.platform, target.arch], [process.platform, process.arch]);
});

test("the build targets Electron's runtime, version and headers, and drops an npmrc's nodedir (Node's headers)", () => {
  const env = electronBuildEnvironment({ PATH: '/usr/bin', npm_config_nodedir: '/usr', NPM_CONFIG_NODEDIR: '/usr', npm_config_target: '20.0.0' }, TARGET);
  assert.deepEqual(env, {
    PATH: '/usr/bin',
    npm_config_runtime: 'electron',
    npm_config_target: '40.10.2',
    npm_config_disturl: ELECTRON_HEADERS_URL,
    npm_config_arch: 'x64',
    npm_config_platform: 'linux',
  });
});

test('a build already made is used as it is: nothing is rebuilt at the next start', (t) => {
  const project = mkdtempSync(join(tmpdir(), 'hearth-electron-sqlite-'));
  t.after(() => rmSync(project, { recursive: true, force: true }));
  for (const [name, version] of [['better-sqlite3', '12.11.1'], ['electron', '40.10.2']]) {
    mkdirSync(join(project, 'node_modules', name), { recursive: true });
    writeFileSync(join(project, 'node_modules', name, 'package.json'), JSON.stringify({ name, version }));
  }
  const made = electronSqliteBindingPath(project, { ...TARGET, platform: process.platform, arch: process.arch });
  mkdirSync(electronStateDir(project), { recursive: true });
  writeFileSync(made, 'an earlier build');
  const logged: string[] = [];
  // No Electron at this path and no better-sqlite3 sources: any build step would fail.
  assert.equal(buildSqliteForElectron(project, join(project, 'no-electron'), (line) => logged.push(line)), made);
  assert.deepEqual(logged, []);
});

test("a failed step's summary keeps why it failed and drops where it ran", () => {
  const gypOutput = [
    'gyp info it worked if it ends with ok',
    'gyp http GET https://electronjs.org/headers/v40.10.2/node-v40.10.2-headers.tar.gz',
    'gyp ERR! configure error ',
    'gyp ERR! stack Error: getaddrinfo ENOTFOUND electronjs.org',
    'gyp ERR! stack at go (/x/node-gyp/lib/install.js:244:21)',
    'gyp ERR! System Linux 6.1',
    'gyp ERR! cwd /tmp/x',
    'gyp ERR! not ok',
  ].join('\n');
  assert.equal(failureSummary(gypOutput), 'gyp ERR! configure error\ngyp ERR! stack Error: getaddrinfo ENOTFOUND electronjs.org');
});
