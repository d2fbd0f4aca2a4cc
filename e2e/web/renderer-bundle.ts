// The web shell serves the renderer bundle from app/renderer/ (vite's output, ignored by git).
// A fresh clone has none, and a bundle older than the renderer's sources (or the contracts it
// bundles) would test yesterday's UI, so the specs build it with `npm run build:renderer`. Spec files
// may run in parallel: a lock directory (mkdir is atomic) makes one build while the others wait,
// since vite empties app/renderer/ before it writes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from './web-shell-process.ts';

const INDEX = join(REPO_ROOT, 'app', 'renderer', 'index.html');
const LOCK = join(REPO_ROOT, 'app', '.renderer-build.lock');
/** A lock older than this was left by a build that died; a build takes seconds. */
const STALE_LOCK_MS = 5 * 60_000;
const POLL_MS = 250;

/** What the bundle is built from: a change to any of these (tests aside) makes it stale. */
const SOURCES = [join(REPO_ROOT, 'renderer'), join(REPO_ROOT, 'main', 'common')];

function newestSourceMtime(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return /\.test\.tsx?$/.test(path) ? 0 : info.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) if (entry !== 'node_modules') newest = Math.max(newest, newestSourceMtime(join(path, entry)));
  return newest;
}

function bundleIsCurrent(): boolean {
  return existsSync(INDEX) && SOURCES.every((source) => !existsSync(source) || newestSourceMtime(source) <= statSync(INDEX).mtimeMs);
}

/** Builds the bundle when it is missing or older than its sources. Resolves false when it is there, or the reason it is not. */
export async function ensureRendererBundle(): Promise<string | false> {
  for (;;) {
    if (bundleIsCurrent() && !existsSync(LOCK)) return false;
    if (takeLock()) {
      try {
        if (bundleIsCurrent()) return false;
        const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
        const built = spawnSync(npm, ['run', 'build:renderer'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 180_000 });
        if (built.status !== 0 || !existsSync(INDEX)) {
          return `app/renderer/index.html is missing and \`npm run build:renderer\` failed (${built.status ?? built.signal}): ${(built.stderr || built.stdout).trim().slice(-500)}`;
        }
        return false;
      } finally {
        rmSync(LOCK, { recursive: true, force: true });
      }
    }
    await sleep(POLL_MS);
  }
}

function takeLock(): boolean {
  mkdirSync(join(REPO_ROOT, 'app'), { recursive: true });
  try {
    mkdirSync(LOCK);
    return true;
  } catch {
    try {
      if (Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
    } catch {
      // removed meanwhile by its owner
    }
    return false;
  }
}
