// The OS boundary of hardware detection: the commands it runs, the files it reads and what Node's
// os module says. Detection code sees only this interface, so tests replay recorded outputs of
// real machines (nvidia-smi CSV, sysfs trees, registry dumps) without those machines.
import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import os from 'node:os';

/** How running a command went. A missing program is not an error: it means "not this vendor". */
export type CommandResult =
  | { kind: 'exited'; code: number; stdout: string; stderr: string }
  | { kind: 'not-found' }
  | { kind: 'failed'; error: string };

export interface SystemProbe {
  platform: NodeJS.Platform;
  arch: string;
  env: Record<string, string | undefined>;
  runCommand(command: string, args: readonly string[]): Promise<CommandResult>;
  /** Rejects when the file cannot be read, like fs.readFile. */
  readFile(path: string): Promise<string>;
  /** Rejects when the folder cannot be read, like fs.readdir. */
  readdir(path: string): Promise<string[]>;
  cpus(): { model: string }[];
  totalmem(): number;
  freemem(): number;
}

/** A detection command that has not answered by then is stuck (a hung driver); give up on it. */
export const COMMAND_TIMEOUT_MS = 5000;
const COMMAND_MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** The probe of the machine Hearth runs on. */
export function nodeSystemProbe(): SystemProbe {
  return {
    platform: process.platform,
    arch: process.arch,
    env: process.env,
    runCommand: runWithTimeout,
    readFile: (path) => readFile(path, 'utf8'),
    readdir: (path) => readdir(path),
    cpus: () => os.cpus(),
    totalmem: () => os.totalmem(),
    freemem: () => os.freemem(),
  };
}

function runWithTimeout(command: string, args: readonly string[]): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { timeout: COMMAND_TIMEOUT_MS, maxBuffer: COMMAND_MAX_OUTPUT_BYTES, windowsHide: true, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error === null) return resolve({ kind: 'exited', code: 0, stdout, stderr });
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return resolve({ kind: 'not-found' });
        if (typeof code === 'number') return resolve({ kind: 'exited', code, stdout, stderr });
        if (error.killed) return resolve({ kind: 'failed', error: `${command} did not finish within ${COMMAND_TIMEOUT_MS} ms` });
        resolve({ kind: 'failed', error: `${command}: ${error.message}` });
      },
    );
  });
}

/** The file's text, or null when it is missing or unreadable (sysfs attributes vary by driver). */
export async function readOptionalFile(probe: SystemProbe, path: string): Promise<string | null> {
  try {
    return await probe.readFile(path);
  } catch {
    return null;
  }
}
