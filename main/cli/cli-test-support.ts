// Test support for the CLI's tests only: runs the real `hearth` command as a subprocess from
// the repository root, with its build cache in a temporary folder of the test file's own.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface HearthResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A scratch folder (for outputs and the build cache) removed by `cleanup`. */
export class CliScratch {
  private root: string | null = null;

  async dir(): Promise<string> {
    this.root ??= await mkdtemp(join(tmpdir(), 'hearth-cli-'));
    return this.root;
  }

  /** Runs `node bin/hearth.mjs ...args` with `input` on stdin and the build cache inside the scratch folder. */
  async hearth(args: readonly string[], input = ''): Promise<HearthResult> {
    const cache = join(await this.dir(), 'cache');
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['bin/hearth.mjs', ...args], {
        cwd: REPO_ROOT,
        env: { ...process.env, HEARTH_CACHE_DIR: cache, NODE_OPTIONS: '' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(input);
    });
  }

  async cleanup(): Promise<void> {
    if (this.root) await rm(this.root, { recursive: true, force: true });
    this.root = null;
  }
}

/** The last non-empty line of a command's output. */
export function lastLine(text: string): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return lines[lines.length - 1] ?? '';
}
