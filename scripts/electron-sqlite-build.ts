// An Electron build of better-sqlite3 kept beside the Node one. better-sqlite3 is not an N-API
// module: the build `npm ci` makes is for Node's ABI (the tests and the web shell load it), and
// Electron cannot load it. Rebuilding it in place (electron-builder install-app-deps) would break
// the tests, so `npm start` builds a second copy for Electron's ABI, once, into
// node_modules/.hearth-electron/, and the Electron main process opens the database with
// better-sqlite3's `nativeBinding` option pointing at it (HEARTH_SQLITE_BINDING, read in
// main/electron/main.ts). The packaged app needs none of this: electron-builder rebuilds there.
//
// The build: a prebuilt binary for Electron from better-sqlite3's releases (prebuild-install),
// else a compile against Electron's headers (node-gyp), both in a scratch copy of the package so
// that node_modules/better-sqlite3/build stays Node's; then Electron itself loads the result
// (as Node, ELECTRON_RUN_AS_NODE) before it is moved into place.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { electronStateDir } from './electron-binary.ts';

/** Where Electron's headers are published (node-gyp's --dist-url for an Electron target). */
export const ELECTRON_HEADERS_URL = 'https://electronjs.org/headers';

export interface ElectronSqliteTarget {
  sqliteVersion: string;
  electronVersion: string;
  platform: string;
  arch: string;
}

function packageVersion(root: string, name: string): string {
  return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The installed better-sqlite3 and Electron, and this machine's platform. */
export function installedTarget(root: string): ElectronSqliteTarget {
  return {
    sqliteVersion: packageVersion(root, 'better-sqlite3'),
    electronVersion: packageVersion(root, 'electron'),
    platform: process.platform,
    arch: process.arch,
  };
}

/**
 * The Electron build's file. Every input of the build is in the name, so upgrading either package
 * (or moving node_modules to another machine) leads to a new build, never to a stale one.
 */
export function electronSqliteBindingPath(root: string, target: ElectronSqliteTarget): string {
  const name = `better-sqlite3-${target.sqliteVersion}-electron-${target.electronVersion}-${target.platform}-${target.arch}.node`;
  return join(electronStateDir(root), name);
}

/**
 * The environment for prebuild-install and node-gyp targeting Electron: runtime, version and
 * headers set, and npm's nodedir dropped (an npmrc's `nodedir` would make node-gyp compile
 * against Node's headers whatever the target).
 */
export function electronBuildEnvironment(env: NodeJS.ProcessEnv, target: ElectronSqliteTarget): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (!/^npm_config_nodedir$/i.test(key)) result[key] = value;
  }
  return {
    ...result,
    npm_config_runtime: 'electron',
    npm_config_target: target.electronVersion,
    npm_config_disturl: ELECTRON_HEADERS_URL,
    npm_config_arch: target.arch,
    npm_config_platform: target.platform,
  };
}

/** Lines of a failed step's output that only say where or with what it ran, not why it failed. */
const NOISE = /^gyp (info|http)\b|ERR! stack\s+at |ERR! (System|command|cwd|node -v|node-gyp -v|not ok)\b/;

/** The last telling lines of a failed step's output: enough to see why, not the whole compile log. */
export function failureSummary(output: string, lines = 6): string {
  return output
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.trim().length > 0 && !NOISE.test(line))
    .slice(-lines)
    .join('\n');
}

interface StepResult {
  ok: boolean;
  output: string;
}

function runStep(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): StepResult {
  const run = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { ok: run.status === 0, output: `${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? String(run.error) : ''}` };
}

/** Whether Electron (run as Node) opens a database with this binding: the ABI check that counts. */
export function electronLoadsBinding(root: string, electronPath: string, bindingPath: string): StepResult {
  const probe = `const Database = require(${JSON.stringify(join(root, 'node_modules', 'better-sqlite3'))}); new Database(':memory:', { nativeBinding: ${JSON.stringify(bindingPath)} }).close();`;
  return runStep(electronPath, ['-e', probe], root, { ...process.env, ELECTRON_RUN_AS_NODE: '1' });
}

/**
 * Builds better-sqlite3 for Electron into electronSqliteBindingPath() unless it is there, and
 * returns that path. Throws an Error that says which steps failed and why (both need the network
 * the first time: the prebuilt binary's host, or Electron's headers).
 */
export function buildSqliteForElectron(root: string, electronPath: string, log: (line: string) => void = () => {}): string {
  const target = installedTarget(root);
  const bindingPath = electronSqliteBindingPath(root, target);
  if (existsSync(bindingPath)) return bindingPath;

  const stateDir = electronStateDir(root);
  mkdirSync(stateDir, { recursive: true });
  const scratch = mkdtempSync(join(stateDir, 'build-'));
  try {
    const source = join(root, 'node_modules', 'better-sqlite3');
    const copy = join(scratch, 'better-sqlite3');
    // The sources, without Node's build (which must stay as it is) or nested node_modules.
    cpSync(source, copy, {
      recursive: true,
      filter: (path) => !/^(build|node_modules)(\/|$)/.test(relative(source, path).split(sep).join('/')),
    });
    const env = electronBuildEnvironment(process.env, target);
    const requireFromRoot = createRequire(join(root, 'package.json'));
    const failures: string[] = [];

    log(`looking for a prebuilt better-sqlite3 ${target.sqliteVersion} for Electron ${target.electronVersion}…`);
    const prebuilt = runStep(process.execPath, [requireFromRoot.resolve('prebuild-install/bin.js'), '--runtime=electron', `--target=${target.electronVersion}`, `--arch=${target.arch}`, `--platform=${target.platform}`], copy, env);
    if (!prebuilt.ok) {
      failures.push(`prebuild-install: ${failureSummary(prebuilt.output, 3)}`);
      log(`no prebuilt binary; compiling better-sqlite3 against Electron ${target.electronVersion}'s headers (a minute or two)…`);
      const gyp = process.env.npm_config_node_gyp ?? requireFromRoot.resolve('node-gyp/bin/node-gyp.js');
      const compiled = runStep(process.execPath, [gyp, 'rebuild', '--release', `--target=${target.electronVersion}`, `--arch=${target.arch}`, `--dist-url=${ELECTRON_HEADERS_URL}`], copy, env);
      if (!compiled.ok) failures.push(`node-gyp: ${failureSummary(compiled.output)}`);
    }
    const built = join(copy, 'build', 'Release', 'better_sqlite3.node');
    if (!existsSync(built)) throw new Error(`better-sqlite3 could not be built for Electron ${target.electronVersion}:\n${failures.join('\n')}`);
    const loaded = electronLoadsBinding(root, electronPath, built);
    if (!loaded.ok) throw new Error(`the better-sqlite3 built for Electron ${target.electronVersion} does not load in Electron:\n${failureSummary(loaded.output)}`);
    // Moved into place only once it loads, so an existing file is always a working build.
    renameSync(built, bindingPath);
    return bindingPath;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
