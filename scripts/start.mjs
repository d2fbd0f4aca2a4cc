#!/usr/bin/env node
// `npm start`: builds app/ when it is missing or older than the sources, then opens the Electron
// app where Electron's binary is installed, and otherwise starts the web shell (`hearth serve`),
// which prints the address to open in a browser, saying why. `npm start -- --web` (or
// HEARTH_WEB=1) always starts the web shell; other arguments after `--` go to `hearth serve`
// (e.g. --port 8080). Before the first desktop start it builds better-sqlite3 for Electron into a
// folder of its own (scripts/electron-sqlite-build.ts), so Node's build stays for the tests.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { register } from 'tsx/esm/api';

register();
const { electronBinaryPath, electronMissingReason } = await import('./electron-binary.ts');
const { buildSqliteForElectron } = await import('./electron-sqlite-build.ts');

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const forceWeb = args.includes('--web') || process.env.HEARTH_WEB === '1';
const serveArgs = args.filter((a) => a !== '--web');

const OUTPUTS = ['app/main.js', 'app/preload.cjs', 'app/worker.js', 'app/training-worker.js', 'app/build-worker.js', 'app/webgpu-probe.js', 'app/renderer/index.html'];
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

/**
 * The better-sqlite3 build for Electron, made at the first desktop start (network needed then:
 * a prebuilt binary or Electron's headers), or the reason there is none.
 */
function sqliteForElectron(electronPath) {
  try {
    return { path: buildSqliteForElectron(root, electronPath, (line) => console.error(`npm start: ${line}`)) };
  } catch (error) {
    return { reason: `${error instanceof Error ? error.message : String(error)}\n(the web shell needs none of this; \`npm start\` tries the build again next time)` };
  }
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

const electronPath = forceWeb ? null : electronBinaryPath(root);
const headless = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
const sqlite = electronPath && !headless ? sqliteForElectron(electronPath) : null;
const blocker = forceWeb
  ? 'the web shell was asked for (--web)'
  : !electronPath
    ? electronMissingReason(root)
    : headless
      ? 'there is no display to open a window on'
      : (sqlite.reason ?? null);
if (blocker === null) {
  console.error('npm start: opening the Hearth app (Electron)');
  // The unfused app/main.js from the checkout; ELECTRON_RUN_AS_NODE would turn Electron into plain
  // Node. HEARTH_SQLITE_BINDING: the Electron build of better-sqlite3 (main/electron/main.ts).
  const env = { ...process.env, HEARTH_SQLITE_BINDING: sqlite.path };
  delete env.ELECTRON_RUN_AS_NODE;
  runToEnd(electronPath, [root], env);
} else {
  console.error(`npm start: ${blocker}.\nnpm start: starting the web shell instead; open the address it prints in a browser.`);
  runToEnd(process.execPath, [join(root, 'bin/hearth.mjs'), 'serve', ...serveArgs]);
}
