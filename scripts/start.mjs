#!/usr/bin/env node
// `npm start`: builds app/ when it is missing or older than the sources, then opens the Electron
// app where Electron's binary is installed, and otherwise starts the web shell (`hearth serve`),
// which prints the address to open in a browser. `npm start -- --web` (or HEARTH_WEB=1) always
// starts the web shell; other arguments after `--` go to `hearth serve` (e.g. --port 8080).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const forceWeb = args.includes('--web') || process.env.HEARTH_WEB === '1';
const serveArgs = args.filter((a) => a !== '--web');

const OUTPUTS = ['app/main.js', 'app/preload.cjs', 'app/worker.js', 'app/training-worker.js', 'app/renderer/index.html'];
const SOURCES = ['main', 'renderer', 'package.json', 'scripts/build-app.mjs'];

/** The newest modification time under a file or folder (tests excluded: they are not built). */
function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return /\.test\.tsx?$/.test(path) ? 0 : stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

function appIsCurrent() {
  const outputs = OUTPUTS.map((p) => join(root, p));
  if (!outputs.every((p) => existsSync(p))) return false;
  const oldestOutput = Math.min(...outputs.map((p) => statSync(p).mtimeMs));
  return SOURCES.every((p) => newestMtime(join(root, p)) <= oldestOutput);
}

/** Electron's binary path, or the reason there is none: require('electron') throws when it was never downloaded. */
function findElectron() {
  try {
    return { path: createRequire(import.meta.url)('electron') };
  } catch (error) {
    const detail = String(error?.message ?? error).split('\n')[0];
    return { reason: `Electron's binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD or no network when installing: ${detail})` };
  }
}

/**
 * Whether better-sqlite3 is built for Node (npm ci builds it so; the tests and the web shell
 * need that). It is not an N-API module, so Electron cannot load that build: the desktop app
 * needs `npx electron-builder install-app-deps` first, which in turn breaks it for Node.
 */
function sqliteBuiltForNode() {
  const probe = spawnSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], { cwd: root, stdio: 'ignore' });
  return probe.status === 0;
}

/** Runs a child with our terminal, passes Ctrl+C on, and exits with its status. */
function runToEnd(command, commandArgs, env = process.env) {
  const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (!appIsCurrent()) {
  console.error('npm start: building app/ (npm run build)…');
  const built = spawnSync(process.execPath, [join(root, 'scripts/build-app.mjs')], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

const electron = forceWeb ? { reason: 'the web shell was asked for (--web)' } : findElectron();
const headless = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
const blocker = !electron.path
  ? electron.reason
  : headless
    ? 'there is no display to open a window on'
    : sqliteBuiltForNode()
      ? 'better-sqlite3 is built for Node, not Electron (run `npx electron-builder install-app-deps` for the desktop app, and `npm rebuild better-sqlite3` before running the tests again)'
      : null;
if (blocker === null) {
  console.error('npm start: opening the Hearth app (Electron)');
  // The unfused app/main.js from the checkout; ELECTRON_RUN_AS_NODE would turn Electron into plain Node.
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  runToEnd(electron.path, [root], env);
} else {
  console.error(`npm start: ${blocker}; starting the web shell instead. Open the address it prints in a browser.`);
  runToEnd(process.execPath, [join(root, 'bin/hearth.mjs'), 'serve', ...serveArgs]);
}
