// The web shell as a user starts it: `node bin/hearth.mjs serve --data-dir DIR --port 0` in a
// subprocess, whose one stdout line gives the address with the launch's token. Also the CLI
// import a new user runs before it. The e2e specs drive the app only from the outside.
import { spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { spawnServe } from '../../main/services/app-process-test-support.ts';

export const REPO_ROOT = new URL('../../', import.meta.url).pathname;

const STOP_TIMEOUT_MS = 20_000;

export interface WebShellProcess {
  /** The printed address, with the token: http://127.0.0.1:PORT/?token=TOKEN */
  url: string;
  /** The serve process (the inference worker is its child). */
  pid: number;
  /** What it wrote to stderr so far, for failure messages. */
  stderr(): string;
  /** SIGTERM, then waits for the exit; SIGKILL if it does not come. Resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `hearth serve` on a free port and resolves once it printed its address. */
export async function startWebShell(dataDir: string): Promise<WebShellProcess> {
  const { child, url, exited, stderr } = await spawnServe(dataDir);
  return { url: url.href, pid: child.pid!, stderr, stop: () => stopProcess(child, exited) };
}

async function stopProcess(child: ChildProcess, exited: Promise<number | null>): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** `hearth import FOLDER --data-dir DIR --name NAME`, as the "Done when" flow does before serving. */
export function importWithCli(dataDir: string, folder: string, name: string): string {
  const result = spawnSync(process.execPath, ['bin/hearth.mjs', 'import', folder, '--data-dir', dataDir, '--name', name], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_OPTIONS: '' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status !== 0) throw new Error(`hearth import failed (${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`);
  return result.stdout;
}
