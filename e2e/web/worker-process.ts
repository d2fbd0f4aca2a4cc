// Finds the inference worker of a `hearth serve` process: its child whose arguments name
// worker-main (the web shell forks it with child_process.fork). Read from /proc, so it needs
// neither ps nor pgrep; Linux only, like the CI.
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export const PROC_AVAILABLE = existsSync('/proc/self/stat');

/** The parent pid from /proc/PID/stat; the command name in parentheses may hold spaces. */
function parentPid(pid: string): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null; // it ended while we looked
  }
}

function commandLine(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** The worker's pid, or null while none runs. */
export function findWorkerPid(servePid: number): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (parentPid(entry) === servePid && commandLine(entry).includes('worker-main')) return Number(entry);
  }
  return null;
}
