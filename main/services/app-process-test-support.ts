// Test support for the kill -9 tests only: the app as a user runs it (`hearth serve --data-dir`,
// a process of its own with its worker processes under it), its API over HTTP with the launch's
// token, a real SIGKILL of that process, and what the user had, read back from the database a
// crash left behind (after SQLite's own integrity check).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before } from 'node:test';
import type { ApiInput, ApiMethod, ApiOutput } from '../common/contracts/api.ts';
import type { ApiErrorData } from '../common/contracts/api-error.ts';
import { openModelSource } from '../engine/architectures/model-source.ts';
import { databaseFileIn, openStore } from '../store/store.ts';
import { initLoraAdapter } from '../train/lora-adapter.ts';
import { writePeftAdapter } from '../train/peft-adapter-files.ts';
import { BUNDLED_MODEL_ID } from './library-service.ts';
import { BUNDLED_MODEL_DIR, REPO_ROOT, scratchDir } from './services-test-support.ts';

/** Starting the app compiles the sources through tsx: generous on a slow, shared machine. */
const START_TIMEOUT_MS = 90_000;

/** An API call the app answered with an error envelope. */
export class AppCallError extends Error {
  override name = 'AppCallError';
  readonly code: ApiErrorData['code'];
  constructor(method: string, error: ApiErrorData) {
    super(`${method}: ${error.code}: ${error.message}`);
    this.code = error.code;
  }
}

export interface AppProcess {
  pid: number;
  call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutput<M>>;
  /** The process ids of the app's children now (its worker processes); Linux only, else []. */
  childPids(): number[];
  /** SIGKILL: no handler runs, nothing is flushed or closed. Resolves once the process is gone. */
  killHard(): Promise<void>;
  /** SIGTERM, as Ctrl+C would: the app closes its services. Resolves with the exit code. */
  stop(): Promise<number | null>;
  /** What the app wrote on stderr (its start-up notices, the workers' own output). */
  stderr(): string;
}

/** A kill test's scratch folder (inputs beside a `data` folder) and the app processes it started. */
export interface KillTestScratch {
  /** The scratch folder, for the test's own inputs (datasets, folders to import). */
  readonly dir: string;
  /** The app's data folder, kept across the kill and the restart. */
  readonly dataDir: string;
  /** Starts the app on dataDir; every app started is SIGKILLed (if still running) after the file's tests. */
  start(): Promise<AppProcess>;
}

/** Registers the file's before/after hooks: a new scratch folder with an empty `data` folder, removed at the end. */
export function useKillTestScratch(prefix: string): KillTestScratch {
  let scratch: { dir: string; remove(): Promise<void> } | undefined;
  const apps: AppProcess[] = [];
  before(async () => {
    scratch = await scratchDir(prefix);
    await mkdir(join(scratch.dir, 'data'));
  });
  after(async () => {
    for (const app of apps) await app.killHard().catch(() => {});
    await scratch?.remove();
  });
  return {
    get dir() {
      return scratch!.dir;
    },
    get dataDir() {
      return join(scratch!.dir, 'data');
    },
    async start() {
      const app = await startApp(join(scratch!.dir, 'data'));
      apps.push(app);
      return app;
    },
  };
}

/** A `hearth serve` process that printed its address. */
export interface ServeProcess {
  child: ChildProcess;
  /** The printed address, with the launch's token: http://127.0.0.1:PORT/?token=TOKEN */
  url: URL;
  /** Resolves with the exit code once the process is gone. */
  exited: Promise<number | null>;
  /** What it wrote on stderr so far (its start-up notices, the workers' own output). */
  stderr(): string;
  /** What it wrote on stdout so far (the address line, and nothing else). */
  stdout(): string;
}

/**
 * Starts `hearth serve --data-dir <dataDir> --port 0` as a user would, in a process of its own,
 * and resolves once it printed its address (the kill tests and the e2e specs both start it so).
 */
export async function spawnServe(dataDir: string): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['bin/hearth.mjs', 'serve', '--data-dir', dataDir, '--port', '0'], {
    cwd: REPO_ROOT,
    // The test runner's own flags (--import tsx, --test) are not for the app.
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hearth serve printed no address within ${START_TIMEOUT_MS / 1000} s:\n${stderr}`)), START_TIMEOUT_MS);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /^listening on (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)$/m.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(new URL(match[1]));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`hearth serve exited with ${code} before printing its address:\n${stderr}`));
    });
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return { child, url, exited, stderr: () => stderr, stdout: () => stdout };
}

/** Starts `hearth serve --data-dir <dataDir>` and waits for its address. */
export async function startApp(dataDir: string): Promise<AppProcess> {
  const { child, url, exited, stderr } = await spawnServe(dataDir);
  const token = url.searchParams.get('token') ?? '';
  const pid = child.pid!;
  return {
    pid,
    call: (method, input) => callApi(url, token, method, input),
    childPids: () => childPidsOf(pid),
    killHard: async () => {
      process.kill(pid, 'SIGKILL');
      await exited;
    },
    stop: async () => {
      stopOnce(child);
      return exited;
    },
    stderr,
  };
}

function stopOnce(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}

function callApi<M extends ApiMethod>(url: URL, token: string, method: M, input: ApiInput<M>): Promise<ApiOutput<M>> {
  const body = JSON.stringify(input);
  return new Promise((resolve, reject) => {
    const call = request(
      { host: url.hostname, port: url.port, method: 'POST', path: `/api/${method}`, agent: false, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          const envelope = JSON.parse(text) as { ok: true; value: ApiOutput<M> } | { ok: false; error: ApiErrorData };
          if (envelope.ok) resolve(envelope.value);
          else reject(new AppCallError(method, envelope.error));
        });
      },
    );
    call.on('error', reject);
    call.end(body);
  });
}

/** Linux lists a process's children in /proc; elsewhere the check is left out. */
function childPidsOf(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

/** Whether the process runs (a zombie waiting for its new parent to reap it does not). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(stat, 'utf8'));
  } catch {
    return false; // gone between the two looks
  }
}

/** Polls `check` every `everyMs` until it returns something other than undefined/false. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** What the user sees as theirs, in a form two snapshots can be compared in. */
export interface UserData {
  models: { id: string; name: string; sourceDir: string }[];
  conversations: { id: string; title: string; messages: { id: string; role: string; content: string }[] }[];
  jobs: { id: string; baseModelId: string }[];
  adapters: { id: string; name: string; dir: string }[];
}

/**
 * Opens the database as the app left it, asserts SQLite finds it intact (PRAGMA integrity_check
 * answers 'ok'), and reads back what the user has. Answers left streaming are not touched.
 */
export function readUserData(dataDir: string): { integrity: string; data: UserData } {
  const store = openStore(databaseFileIn(dataDir), { recoverInterruptedMessages: false });
  try {
    const integrity = (store.database.connection.pragma('integrity_check') as { integrity_check: string }[]).map((row) => row.integrity_check).join('\n');
    const data: UserData = {
      models: store.models.list().map((m) => ({ id: m.id, name: m.name, sourceDir: m.sourceDir })),
      conversations: store.conversations.list().map((c) => ({
        id: c.id,
        title: c.title,
        messages: store.messages.list(c.id).map((m) => ({ id: m.id, role: m.role, content: m.content })),
      })),
      jobs: store.jobs.list().map((j) => ({ id: j.id, baseModelId: j.baseModelId })),
      adapters: store.adapters.list().map((a) => ({ id: a.id, name: a.name, dir: a.dir })),
    };
    return { integrity, data };
  } finally {
    store.close();
  }
}

/** The entries of `before` that `after` lacks or changed, by kind; empty when nothing was lost. */
export function lostUserData(before: UserData, after: UserData): string[] {
  const lost: string[] = [];
  for (const kind of ['models', 'conversations', 'jobs', 'adapters'] as const) {
    const now = new Map((after[kind] as { id: string }[]).map((entry) => [entry.id, JSON.stringify(entry)]));
    for (const entry of before[kind] as { id: string }[]) {
      if (now.get(entry.id) !== JSON.stringify(entry)) lost.push(`${kind}: ${JSON.stringify(entry)} is ${now.has(entry.id) ? `now ${now.get(entry.id)}` : 'gone'}`);
    }
  }
  return lost;
}

/**
 * Gives the running app what a user would have: an imported model (a copy of the demo model in
 * `scratch`), an adapter imported from a PEFT folder, a conversation with two messages, and a
 * cancelled fine-tune job. The messages and the job are written to the database beside the app
 * (as `hearth import` does): sending a message would cost a build and a reply, and a job a run.
 */
export async function seedUserData(app: AppProcess, dataDir: string, scratch: string): Promise<void> {
  const modelCopy = join(scratch, 'my-model');
  await cp(BUNDLED_MODEL_DIR, modelCopy, { recursive: true });
  await app.call('models.import', { path: modelCopy, name: 'My model' });

  const source = await openModelSource(BUNDLED_MODEL_DIR, { warn: () => {} });
  const adapterDir = join(scratch, 'my-adapter');
  try {
    await writePeftAdapter(adapterDir, initLoraAdapter(source.spec, { r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj'] }, 7));
  } finally {
    await source.close();
  }
  await app.call('adapters.importPeft', { path: adapterDir, baseModelId: BUNDLED_MODEL_ID, name: 'My adapter' });

  const conversation = await app.call('conversations.create', { modelId: BUNDLED_MODEL_ID });
  const store = openStore(databaseFileIn(dataDir), { recoverInterruptedMessages: false });
  try {
    store.conversations.rename(conversation.id, 'Verona notes');
    store.messages.append({ conversationId: conversation.id, role: 'user', content: 'Who is Romeo?' });
    store.messages.append({ conversationId: conversation.id, role: 'assistant', content: 'A Montague, sir.' });
    const job = store.jobs.create({ baseModelId: BUNDLED_MODEL_ID, config: {}, outputDir: null, trainPath: null, evalPath: null });
    store.jobs.updateState(job.id, 'cancelled');
  } finally {
    store.close();
  }
}
