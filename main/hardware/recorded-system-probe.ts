// A SystemProbe that replays a recorded machine, for tests: commands answer with recorded output
// (a command that was not recorded is "not installed"), and files are read from a folder that
// stands for the machine's root, e.g. testdata/amd-rx6800 holding sys/class/drm/….
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandResult, SystemProbe } from './system-probe.ts';

export interface RecordedMachine {
  platform: NodeJS.Platform;
  arch: string;
  /** Keyed by the command line, words joined by single spaces: "nvidia-smi --query-gpu=… --format=…". */
  commands?: Record<string, CommandResult>;
  /** A folder whose contents stand for '/'; every file read fails without one (or `files`). */
  root?: string;
  /** Single files by absolute path, e.g. { '/proc/cpuinfo': recorded text }; read before `root`. */
  files?: Record<string, string>;
  cpuModel?: string;
  logicalCores?: number;
  totalmem?: number;
  freemem?: number;
}

export interface RecordedSystemProbe extends SystemProbe {
  /** Command lines run so far, in order. */
  commandsRun: string[];
}

const GIB = 1024 ** 3;

export function recordedSystemProbe(machine: RecordedMachine): RecordedSystemProbe {
  const commandsRun: string[] = [];
  const onRoot = (path: string) => {
    if (machine.root === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return join(machine.root, path);
  };
  return {
    platform: machine.platform,
    arch: machine.arch,
    env: {},
    commandsRun,
    async runCommand(command, args) {
      const line = [command, ...args].join(' ');
      commandsRun.push(line);
      return machine.commands?.[line] ?? { kind: 'not-found' };
    },
    readFile: async (path) => machine.files?.[path] ?? readFile(onRoot(path), 'utf8'),
    readdir: async (path) => readdir(onRoot(path)),
    cpus: () => Array.from({ length: machine.logicalCores ?? 8 }, () => ({ model: machine.cpuModel ?? 'Recorded CPU' })),
    totalmem: () => machine.totalmem ?? 32 * GIB,
    freemem: () => machine.freemem ?? 20 * GIB,
  };
}

/** An exited command with this stdout. */
export function exited(stdout: string, code = 0, stderr = ''): CommandResult {
  return { kind: 'exited', code, stdout, stderr };
}
