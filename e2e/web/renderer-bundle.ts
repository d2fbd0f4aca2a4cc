// The web shell serves the renderer bundle from app/renderer/ (vite's output, ignored by git).
// A fresh clone has none, so the specs build it once with `npm run build:renderer`. Spec files
// may run in parallel: a lock directory (mkdir is atomic) makes one build while the others wait,
// since vite empties app/renderer/ before it writes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from './web-shell-process.ts';

const INDEX = join(REPO_ROOT, 'app', 'renderer', 'index.html');
const LOCK = join(REPO_ROOT, 'app', '.renderer-build.lock');
/** A lock older than this was left by a build that died; a build takes seconds. */
const STALE_LOCK_MS = 5 * 60_000;
const POLL_MS = 250;

/** Builds the bundle when it is missing. Resolves false when it is there, or the reason it is not. */
export async function ensureRendererBundle(): Promise<string | false> {
  for (;;) {
    if (existsSync(INDEX) && !existsSync(LOCK)) return false;
    if (takeLock()) {
      try {
        if (existsSync(INDEX)) return false;
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
