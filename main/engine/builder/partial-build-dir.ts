// Where a build is written before it is complete. Every build goes into a folder beside its
// target and is renamed into place only when whole, so a build cut off halfway (kill -9, a crash,
// power loss) never leaves a folder that looks built. The partial folder's name carries the id of
// the process writing it,
//   <target>.partial-<pid>-<ms>
// so that a later start can tell a folder a dead process left behind (removed: it would otherwise
// hold gigabytes forever) from one that a live process is still writing (left alone: another
// `hearth run` may be building the same model into the same cache). A process id that an
// unrelated process has taken since keeps its folder until that process ends.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const PARTIAL_NAME = /\.partial-(\d+)-\d+$/;

/** A fresh partial folder for a build of `target`, written by this process. */
export function partialBuildDir(target: string): string {
  return `${target}.partial-${process.pid}-${Date.now()}`;
}

export interface RemoveStalePartialBuildsOptions {
  /**
   * Whether this process's own partial folders are stale too: true when it has not started a
   * build in `parent` yet (the app at start-up: its process id may be one a killed run had),
   * false while builds of its own may be running there.
   */
  ownAreStale: boolean;
}

/**
 * Removes the partial build folders directly in `parent` whose writer is no longer running, and
 * returns their paths. A missing `parent` has none. Synchronous: it runs once, at start-up or
 * before a build, on a handful of entries.
 */
export function removeStalePartialBuilds(parent: string, options: RemoveStalePartialBuildsOptions): string[] {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = PARTIAL_NAME.exec(name)?.[1];
    if (pid === undefined) continue;
    if (Number(pid) === process.pid ? !options.ownAreStale : isRunning(Number(pid))) continue;
    const path = join(parent, name);
    rmSync(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
