// `hearth pull` and `hearth search` as a user runs them (the real command in a process of its
// own) against the stand-in Hub on 127.0.0.1 (HF_ENDPOINT), through the faults the issue names:
// a dropped connection at 40 % of the weights, a corrupted first transfer of the tokenizer, and a
// kill -9 in the middle of the weights followed by a rerun that resumes with a Range request.
// Every file must end byte-exact, the exit status be 0 only then, and the model be in the library.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { partPath } from '../../hub/file-download.ts';
import { demoModelRepo, StandInHub, type StandInFile, type StandInRepoInput } from '../../hub/test/stand-in-hub.ts';
import { waitFor } from '../../services/app-process-test-support.ts';
import { destDirOf } from '../../services/downloads-service.ts';
import { databaseFileIn, openStore } from '../../store/store.ts';
import { CliScratch, REPO_ROOT, type HearthResult } from '../cli-test-support.ts';

const WEIGHTS = 'model.safetensors';
const GGUF_FIXTURE = fileURLToPath(new URL('../../../../shared/fixtures/gguf/shakespeare-5m-q4_0.gguf', import.meta.url));

const scratch = new CliScratch();
let hub: StandInHub;
let demo: StandInRepoInput;
before(async () => {
  // Each repository below is a copy of the demo model under another name, so each test downloads afresh.
  demo = await demoModelRepo('hearth-test/shakespeare-5m');
  hub = await StandInHub.start([demo]);
});
after(async () => {
  await hub?.close();
  await scratch.cleanup();
});

/** The CLI's environment: the stand-in Hub, no token unless given, the build cache in the scratch folder. */
async function env(extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  const environment: NodeJS.ProcessEnv = { ...process.env, HF_ENDPOINT: hub.url, HEARTH_CACHE_DIR: join(await scratch.dir(), 'cache'), NODE_OPTIONS: '', ...extra };
  if (!extra.HF_TOKEN) {
    delete environment.HF_TOKEN;
    delete environment.HUGGING_FACE_HUB_TOKEN;
  }
  return environment;
}

/** Starts `hearth ...args` in a process of its own; `exited` resolves with what it printed. */
async function run(args: readonly string[], extraEnv: Record<string, string> = {}): Promise<{ pid: number; exited: Promise<HearthResult> }> {
  const child = spawn(process.execPath, ['bin/hearth.mjs', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: await env(extraEnv) });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<HearthResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { pid: child.pid!, exited };
}

async function pull(repo: string, dataDir: string, extra: string[] = [], extraEnv: Record<string, string> = {}): Promise<HearthResult> {
  return (await run(['pull', repo, '--data-dir', dataDir, ...extra], extraEnv)).exited;
}

let repos = 0;
/** A fresh copy of the demo model on the stand-in Hub. */
function newRepo(extra: Partial<StandInRepoInput> = {}): string {
  const id = `hearth-test/shakespeare-copy-${repos++}`;
  hub.addRepo({ ...demo, ...extra, id });
  return id;
}

async function assertByteExact(dir: string, files: readonly StandInFile[]): Promise<void> {
  for (const file of files) assert.ok((await readFile(join(dir, file.path))).equals(file.content), `${file.path} is byte-exact`);
  const left = (await readdir(dir)).filter((name) => name.includes('.part'));
  assert.deepEqual(left, [], 'no part or sidecar is left');
}

function libraryModels(dataDir: string): { name: string; sourceDir: string }[] {
  const store = openStore(databaseFileIn(dataDir), { recoverInterruptedMessages: false });
  try {
    return store.models.list().map((m) => ({ name: m.name, sourceDir: m.sourceDir }));
  } finally {
    store.close();
  }
}

const weightsOf = () => demo.files.find((f) => f.path === WEIGHTS)!.content;
const cdnRequestsFor = (path: string, since: number) => hub.requests.slice(since).filter((r) => r.server === 'cdn' && r.path.includes(`/cdn/${path}/`));

describe('hearth pull against the stand-in Hub (HF_ENDPOINT)', () => {
  it('survives a dropped connection at 40 % of the weights: resumed with Range, byte-exact, then in the library and it runs', async () => {
    const repo = newRepo();
    const dataDir = join(await scratch.dir(), 'drop');
    const offset = Math.floor(weightsOf().length * 0.4);
    hub.dropConnectionAt(WEIGHTS, offset);
    const since = hub.requests.length;
    const result = await pull(repo, dataDir);
    assert.equal(result.code, 0, result.stderr);
    const dest = destDirOf(dataDir, repo, null);
    await assertByteExact(dest, demo.files);
    const ranges = cdnRequestsFor(WEIGHTS, since).map((r) => r.range);
    assert.equal(ranges.length, 2, 'one transfer cut, one resumed');
    assert.equal(ranges[0], null);
    // Resumed from what the part held: at most the cut (bytes in flight when it broke are lost with the connection).
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(ranges[1] ?? '')?.[1]);
    assert.ok(resumedAt > offset - 1024 * 1024 && resumedAt <= offset, `resumed with ${ranges[1]}, the cut at ${offset}`);
    assert.match(result.stderr, /retrying model\.safetensors: the connection dropped after \d+ of \d+ bytes/);
    assert.match(result.stderr, /verified 5 files \(9\.\d+ MiB\)/);
    assert.match(result.stdout, new RegExp(`imported "${repo}" with id `));
    assert.deepEqual(libraryModels(dataDir), [{ name: repo, sourceDir: dest }]);

    // The pulled folder is a model Hearth builds and runs.
    const ran = await scratch.hearth(['run', dest, '--prompt', 'ROMEO:', '--max-new-tokens', '4', '--json']);
    assert.equal(ran.code, 0, ran.stderr);

    // Pulling again: nothing fetched, the same library entry.
    const before = hub.requests.length;
    const again = await pull(repo, dataDir);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(cdnRequestsFor(WEIGHTS, before).length, 0, 'nothing downloaded again');
    assert.equal(libraryModels(dataDir).length, 1);
  });

  it('survives a corrupted first transfer of the tokenizer: fetched again, byte-exact', async () => {
    const repo = newRepo();
    const dataDir = join(await scratch.dir(), 'corrupt');
    hub.corruptTransfer('tokenizer.json');
    const since = hub.requests.length;
    const result = await pull(repo, dataDir);
    assert.equal(result.code, 0, result.stderr);
    await assertByteExact(destDirOf(dataDir, repo, null), demo.files);
    const tokenizerFetches = hub.requests.slice(since).filter((r) => r.path.endsWith('/tokenizer.json'));
    assert.equal(tokenizerFetches.length, 2, 'the damaged transfer was fetched once more');
    assert.match(result.stderr, /tokenizer\.json did not match its checksum; fetching it again/);
  });

  it('resumes after a kill -9 in the middle of the weights with a Range request from the part on disk', async () => {
    const repo = newRepo();
    const dataDir = join(await scratch.dir(), 'kill');
    const dest = destDirOf(dataDir, repo, null);
    const part = partPath(join(dest, WEIGHTS));
    const size = weightsOf().length;
    hub.throttle(WEIGHTS, 1024 * 1024);
    const first = await run(['pull', repo, '--data-dir', dataDir]);
    try {
      await waitFor('the part to pass 40 % of the weights', async () => ((await stat(part).catch(() => null))?.size ?? 0) > size * 0.4, 90_000, 50);
    } finally {
      process.kill(first.pid, 'SIGKILL');
    }
    const killed = await first.exited;
    assert.equal(killed.code, null, 'killed, not exited');
    hub.throttle(WEIGHTS, null);
    const kept = (await stat(part)).size;
    assert.ok(kept > size * 0.4 && kept < size, `the part holds ${kept} of ${size} bytes`);
    assert.ok(existsSync(`${part}.json`), 'its sidecar is on disk');

    const since = hub.requests.length;
    const rerun = await pull(repo, dataDir);
    assert.equal(rerun.code, 0, rerun.stderr);
    await assertByteExact(dest, demo.files);
    assert.deepEqual(cdnRequestsFor(WEIGHTS, since).map((r) => r.range), [`bytes=${kept}-`], 'one request, resuming at the part\'s size');
    assert.equal(libraryModels(dataDir).length, 1);
  });

  it('pauses on Ctrl+C (SIGINT): exit status 130, the part kept, and says how to resume', async () => {
    const repo = newRepo();
    const dataDir = join(await scratch.dir(), 'interrupt');
    const part = partPath(join(destDirOf(dataDir, repo, null), WEIGHTS));
    hub.throttle(WEIGHTS, 1024 * 1024);
    const pulling = await run(['pull', repo, '--data-dir', dataDir]);
    try {
      await waitFor('the weights to start', async () => ((await stat(part).catch(() => null))?.size ?? 0) > 100_000, 90_000, 50);
    } finally {
      process.kill(pulling.pid, 'SIGINT');
    }
    const paused = await pulling.exited;
    hub.throttle(WEIGHTS, null);
    assert.equal(paused.code, 130, paused.stderr);
    assert.match(paused.stderr, /paused; .* are kept, and resuming carries on from there\. Run the same command again to resume\./);
    assert.ok((await stat(part)).size > 100_000, 'the part is kept');
    assert.ok(existsSync(`${part}.json`));
  });

  it('refuses a gated model without a token, saying where to accept the licence; pulls it with HF_TOKEN', async () => {
    const repo = newRepo({ gated: 'manual' });
    const dataDir = join(await scratch.dir(), 'gated');
    const refused = await pull(repo, dataDir);
    assert.equal(refused.code, 1);
    assert.ok(refused.stderr.includes(`accept its licence at ${hub.url}/${repo}`), refused.stderr);
    assert.match(refused.stderr, /HF_TOKEN/);
    const since = hub.requests.length;
    const pulled = await pull(repo, dataDir, [], { HF_TOKEN: hub.token });
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.ok(!pulled.stderr.includes(hub.token) && !pulled.stdout.includes(hub.token), 'the token is never printed');
    assert.ok(hub.requests.slice(since).filter((r) => r.server === 'cdn').every((r) => r.authorization === null), 'the CDN never got the token');
  });

  it('refuses a repository with only .bin weights, and an unknown one, with exit status 1 and nothing in the library', async () => {
    const dataDir = join(await scratch.dir(), 'refused');
    hub.addRepo({ id: 'hearth-test/pickles', files: [demo.files.find((f) => f.path === 'config.json')!, { path: 'pytorch_model.bin', content: Buffer.alloc(1000, 1) }] });
    const pickles = await pull('hearth-test/pickles', dataDir);
    assert.equal(pickles.code, 1);
    assert.match(pickles.stderr, /no \.safetensors weights and no GGUF file.*pytorch_model\.bin \(PyTorch pickle weights/);
    const unknown = await pull('hearth-test/nothing-here', dataDir);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /hearth-test\/nothing-here was not found on http:\/\/127\.0\.0\.1:\d+/);
    assert.equal(existsSync(databaseFileIn(dataDir)) ? libraryModels(dataDir).length : 0, 0);
  });

  it('lists a GGUF-only repository\'s files (exit 2), then imports the one picked with --file through the GGUF import', { skip: existsSync(GGUF_FIXTURE) ? false : `${GGUF_FIXTURE} is absent (the shared GGUF fixtures are not on this machine)` }, async () => {
    const gguf = await readFile(GGUF_FIXTURE);
    const repo = 'hearth-test/shakespeare-gguf';
    hub.addRepo({ id: repo, files: [{ path: 'shakespeare-5m-Q4_0.gguf', content: gguf }, { path: 'shakespeare-5m-Q8_0.gguf', content: Buffer.alloc(5000, 8) }] });
    const dataDir = join(await scratch.dir(), 'gguf');
    const listed = await pull(repo, dataDir);
    assert.equal(listed.code, 2);
    assert.match(listed.stderr, /2 GGUF files, one per quantization; pick one:\n {2}shakespeare-5m-Q8_0\.gguf .*\n {2}shakespeare-5m-Q4_0\.gguf .*\nPick one with --file NAME\.gguf/);
    const pulled = await pull(repo, dataDir, ['--file', 'shakespeare-5m-Q4_0.gguf', '--json']);
    assert.equal(pulled.code, 0, pulled.stderr);
    const model = JSON.parse(pulled.stdout.trim()) as { name: string; gguf: { fileType: string } | null };
    assert.equal(model.name, `${repo} Q4_0`);
    assert.equal(model.gguf?.fileType, 'Q4_0');
    const file = join(destDirOf(dataDir, repo, 'shakespeare-5m-Q4_0.gguf'), 'shakespeare-5m-Q4_0.gguf');
    assert.ok((await readFile(file)).equals(gguf), 'the GGUF file is byte-exact');
    assert.deepEqual(libraryModels(dataDir), [{ name: `${repo} Q4_0`, sourceDir: file }]);
  });
});

describe('hearth search against the stand-in Hub', () => {
  it('lists matching text-generation models, most downloaded first, as text and as JSON', async () => {
    hub.addRepo({ ...demo, id: 'other-org/shakespeare-popular', downloads: 99_999, likes: 7 });
    hub.addRepo({ ...demo, id: 'other-org/shakespeare-vision', pipelineTag: 'image-to-text' });
    const json = await (await run(['search', 'shakespeare-popular', '--json'])).exited;
    assert.equal(json.code, 0, json.stderr);
    const results = JSON.parse(json.stdout) as { id: string; downloads: number; likes: number }[];
    assert.deepEqual(results.map((r) => [r.id, r.downloads, r.likes]), [['other-org/shakespeare-popular', 99_999, 7]]);

    const text = await (await run(['search', 'shakespeare', '--limit', '2'])).exited;
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.split('\n');
    assert.match(lines[1], /^other-org\/shakespeare-popular +99999 +7 /);
    assert.ok(!text.stdout.includes('shakespeare-vision'), 'only text-generation models');
    assert.equal(lines.filter((l) => l.includes('/shakespeare')).length, 2, '--limit 2');

    const none = await (await run(['search', 'no-such-thing'])).exited;
    assert.match(none.stdout, /no text-generation model on http:\/\/127\.0\.0\.1:\d+ matches 'no-such-thing'/);
  });
});
