// Downloads from the stand-in Hub (a real HTTP server on 127.0.0.1, with a second one as the CDN)
// through each fault it can inject: every file must end byte-exact, resumed with Range requests
// where bytes were already received, and nothing wrong may be renamed into place.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubEndpoint } from './hub-endpoint.ts';
import { HubError } from './hub-error.ts';
import { partPath } from './file-download.ts';
import { checkDiskSpace, downloadRepo, readDownloadState, removeRepoDownload, type RepoDownloadProgress } from './repo-download.ts';
import { demoModelRepo, StandInHub, type StandInFile, type StandInRepoInput } from './test/stand-in-hub.ts';

const REPO = 'hearth-test/shakespeare-5m';
const WEIGHTS = 'model.safetensors';
const FAST = { baseDelayMs: 10, maxDelayMs: 50, stallTimeoutMs: 1500 };

let hub: StandInHub;
let demo: StandInRepoInput;
let scratch: string;
before(async () => {
  demo = await demoModelRepo(REPO);
  hub = await StandInHub.start([demo]);
  scratch = await mkdtemp(join(tmpdir(), 'hearth-hub-download-'));
});
after(async () => {
  await hub?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

let folders = 0;
function freshDir(): string {
  return join(scratch, `d${folders++}`);
}

async function assertByteExact(dir: string, files: readonly StandInFile[]): Promise<void> {
  for (const file of files) assert.ok((await readFile(join(dir, file.path))).equals(file.content), `${file.path} is byte-exact`);
  const left = (await readdir(dir)).filter((name) => name.endsWith('.part') || name.endsWith('.part.json'));
  assert.deepEqual(left, [], 'no part or sidecar is left');
}

function endpoint(token: string | null = null): HubEndpoint {
  return new HubEndpoint(hub.url, token);
}

const weightsSize = () => demo.files.find((f) => f.path === WEIGHTS)!.content.length;

describe('downloadRepo against the stand-in Hub', () => {
  it('downloads the demo model byte-exact, from the commit it resolved, with total progress', async () => {
    const dir = freshDir();
    const reports: RepoDownloadProgress[] = [];
    const result = await downloadRepo({ endpoint: endpoint(), repo: REPO, destDir: dir, onProgress: (p) => reports.push(p), policy: FAST });
    await assertByteExact(dir, demo.files);
    assert.equal(result.commit, hub.head(REPO));
    assert.equal(result.kind, 'safetensors');
    assert.equal(result.importPath, dir);
    const last = reports[reports.length - 1];
    assert.equal(last.doneBytes, last.totalBytes);
    assert.equal(last.totalBytes, demo.files.reduce((n, f) => n + f.content.length, 0));
    assert.ok(last.files.every((f) => f.state === 'done'));
    // Every file came from /resolve/<commit>/, never from a branch name.
    const resolves = hub.requests.filter((r) => r.server === 'hub' && r.path.startsWith(`/${REPO}/resolve/`));
    assert.ok(resolves.length >= demo.files.length);
    assert.ok(resolves.every((r) => r.path.startsWith(`/${REPO}/resolve/${result.commit}/`)), 'pinned to the commit');
    assert.equal((await readDownloadState(dir))?.complete, true);
  });

  it('resumes a dropped connection at 40 % of the weights with a Range request from the bytes kept', async () => {
    const dir = freshDir();
    const offset = Math.floor(weightsSize() * 0.4);
    hub.dropConnectionAt(WEIGHTS, offset);
    const before = hub.requests.length;
    const sentBefore = hub.bytesSent(WEIGHTS);
    await downloadRepo({ endpoint: endpoint(), repo: REPO, destDir: dir, policy: FAST });
    await assertByteExact(dir, demo.files);
    const weights = hub.requests.slice(before).filter((r) => r.server === 'cdn' && r.path.includes(WEIGHTS));
    assert.equal(weights.length, 2, 'one transfer cut, one resumed');
    assert.equal(weights[0].range, null);
    // Bytes the connection delivered but fetch had not handed over when it broke are lost with it: the
    // resume starts at what the part holds, at most the cut (and, in practice, within a few chunks of it).
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(weights[1].range ?? '')?.[1]);
    assert.ok(resumedAt > offset - 1024 * 1024 && resumedAt <= offset, `resumed at ${weights[1].range}, the cut at ${offset}`);
    assert.equal(hub.bytesSent(WEIGHTS) - sentBefore, offset + (weightsSize() - resumedAt), 'nothing before the resume point was sent twice');
  });

  it('fetches a corrupted tokenizer once more, and refuses a file damaged twice without keeping it', async () => {
    const dir = freshDir();
    hub.corruptTransfer('tokenizer.json');
    await downloadRepo({ endpoint: endpoint(), repo: REPO, destDir: dir, policy: FAST });
    await assertByteExact(dir, demo.files);

    const twice = freshDir();
    hub.corruptTransfer('tokenizer.json', 2);
    await assert.rejects(downloadRepo({ endpoint: endpoint(), repo: REPO, destDir: twice, policy: FAST, parallel: 1 }), (error: unknown) => {
      assert.ok(error instanceof HubError && error.kind === 'integrity', String(error));
      assert.match(error.message, /tokenizer\.json .* damaged twice/);
      return true;
    });
    assert.equal(existsSync(join(twice, 'tokenizer.json')), false, 'a damaged file is never renamed into place');
    assert.equal(existsSync(partPath(join(twice, 'tokenizer.json'))), false, 'nor kept as a part');
  });

  it('retries a 500, a CDN refusing its address (403), and a stalled transfer (no bytes for the stall timeout) from where it stopped', async () => {
    const dir = freshDir();
    hub.failWith('config.json', 500, 2);
    hub.failWith(WEIGHTS, 403, 1);
    const stallAt = Math.floor(weightsSize() * 0.7);
    hub.stallAt(WEIGHTS, stallAt);
    const before = hub.requests.length;
    const retries: string[] = [];
    await downloadRepo({ endpoint: endpoint(), repo: REPO, destDir: dir, policy: { ...FAST, stallTimeoutMs: 800 }, onProgress: (p) => p.retrying && retries.push(p.retrying) });
    await assertByteExact(dir, demo.files);
    const weights = hub.requests.slice(before).filter((r) => r.server === 'cdn' && r.path.includes(WEIGHTS));
    assert.equal(weights[weights.length - 1].range, `bytes=${stallAt}-`);
    assert.ok(retries.some((r) => /config\.json.*500/.test(r)), `a 500 is reported as a retry: ${retries.join(' | ')}`);
    assert.ok(retries.some((r) => /model\.safetensors.*no bytes/.test(r)), `a stall is reported as a retry: ${retries.join(' | ')}`);
    assert.ok(retries.some((r) => /model\.safetensors: http:\/\/127\.0\.0\.1:\d+ refused the download address .*403/.test(r)), `a CDN 403 is retried through the Hub: ${retries.join(' | ')}`);
  });

  it('gives up on a server that keeps failing, saying what is kept', async () => {
    const dir = freshDir();
    hub.failWith('config.json', 500, 10);
    await assert.rejects(downloadRepo({ endpoint: endpoint(), repo: REPO, destDir: dir, policy: { ...FAST, retries: 2 } }), (error: unknown) => {
      assert.ok(error instanceof HubError && error.kind === 'server', String(error));
      assert.match(error.message, /config\.json .* failed 3 times .*500/);
      return true;
    });
    hub.clearFaults();
  });

  it('pauses (parts kept), resumes with Range from the same commit though the repository changed, and cancels (parts removed)', async () => {
    const dir = freshDir();
    hub.throttle(WEIGHTS, 2 * 1024 * 1024);
    const pause = new AbortController();
    const reports: RepoDownloadProgress[] = [];
    const paused = downloadRepo({
      endpoint: endpoint(),
      repo: REPO,
      destDir: dir,
      signal: pause.signal,
      policy: FAST,
      onProgress: (p) => {
        reports.push(p);
        if (p.files.find((f) => f.path === WEIGHTS)!.doneBytes > weightsSize() / 4) pause.abort();
      },
    });
    await assert.rejects(paused, (error: unknown) => error instanceof HubError && error.kind === 'aborted' && /paused/.test(error.message));
    hub.throttle(WEIGHTS, null);
    // At about 2 MiB/s: the speed reported is of that order, and the time left follows from it.
    const timed = reports.filter((p) => p.bytesPerSecond > 0);
    assert.ok(timed.length > 0, 'a speed was reported');
    const last = timed[timed.length - 1];
    assert.ok(last.bytesPerSecond > 0.2 * 2 ** 20 && last.bytesPerSecond < 20 * 2 ** 20, `speed ${last.bytesPerSecond} B/s`);
    assert.ok(last.etaSeconds !== null && Math.abs(last.etaSeconds - (last.totalBytes - last.doneBytes) / last.bytesPerSecond) < 1e-6);
    const kept = (await stat(partPath(join(dir, WEIGHTS)))).size;
    assert.ok(kept > 0 && kept < weightsSize(), `a part of the weights is kept (${kept} bytes)`);
    const pinned = hub.head(REPO);

    // The repository moves on while paused: the resumed download must not mix the two commits.
    const changed = demo.files.map((f) => (f.path === 'config.json' ? { ...f, content: Buffer.from('{"changed": true}') } : f));
    hub.pushCommit(REPO, changed);
    try {
      const before = hub.requests.length;
      const result = await downloadRepo({ endpoint: endpoint(), repo: REPO, destDir: dir, policy: FAST });
      assert.equal(result.commit, pinned);
      await assertByteExact(dir, demo.files);
      const resumed = hub.requests.slice(before).find((r) => r.server === 'cdn' && r.path.includes(WEIGHTS));
      assert.equal(resumed?.range, `bytes=${kept}-`);
    } finally {
      hub.pushCommit(REPO, demo.files);
    }

    // Cancel: a paused download's parts, its files and its state go, and so does its folder.
    const cancelled = freshDir();
    hub.throttle(WEIGHTS, 2 * 1024 * 1024);
    const stop = new AbortController();
    await assert.rejects(
      downloadRepo({ endpoint: endpoint(), repo: REPO, destDir: cancelled, signal: stop.signal, policy: FAST, onProgress: (p) => p.doneBytes > 200_000 && stop.abort() }),
      (error: unknown) => error instanceof HubError && error.kind === 'aborted',
    );
    hub.throttle(WEIGHTS, null);
    assert.ok(existsSync(partPath(join(cancelled, WEIGHTS))));
    await removeRepoDownload(cancelled);
    assert.equal(existsSync(cancelled), false, 'the cancelled download left nothing');
  });

  it('sends the token to the Hub only, never to the CDN it redirects to; a gated repository without it says where to accept the licence', async () => {
    const gated = 'hearth-test/gated-model';
    hub.addRepo({ ...demo, id: gated, gated: 'manual' });
    await assert.rejects(downloadRepo({ endpoint: endpoint(), repo: gated, destDir: freshDir(), policy: FAST }), (error: unknown) => {
      assert.ok(error instanceof HubError && error.kind === 'needs-token', String(error));
      assert.ok(error.message.includes(`${hub.url}/${gated}`), error.message);
      assert.match(error.message, /accept its licence .* token/);
      return true;
    });
    await assert.rejects(downloadRepo({ endpoint: endpoint('hf_wrong'), repo: gated, destDir: freshDir(), policy: FAST }), (error: unknown) => {
      assert.ok(error instanceof HubError && error.kind === 'needs-token');
      assert.match(error.message, /does not grant access/);
      assert.ok(!error.message.includes('hf_wrong'), 'the token is not in the message');
      return true;
    });
    const dir = freshDir();
    const before = hub.requests.length;
    await downloadRepo({ endpoint: endpoint(hub.token), repo: gated, destDir: dir, policy: FAST });
    await assertByteExact(dir, demo.files);
    const seen = hub.requests.slice(before);
    assert.ok(seen.filter((r) => r.server === 'hub').every((r) => r.authorization === `Bearer ${hub.token}`), 'the Hub got the token');
    assert.ok(seen.some((r) => r.server === 'cdn'), 'the weights came from the CDN');
    assert.ok(seen.filter((r) => r.server === 'cdn').every((r) => r.authorization === null), 'the CDN never got the token');
  });

  it('refuses a repository with only .bin weights, saying why, and an unknown one', async () => {
    const binOnly = 'hearth-test/pickle-only';
    hub.addRepo({ id: binOnly, files: [demo.files.find((f) => f.path === 'config.json')!, { path: 'pytorch_model.bin', content: Buffer.alloc(4096, 7) }] });
    await assert.rejects(downloadRepo({ endpoint: endpoint(), repo: binOnly, destDir: freshDir() }), (error: unknown) => {
      assert.ok(error instanceof HubError && error.kind === 'nothing-usable', String(error));
      assert.match(error.message, /no \.safetensors weights and no GGUF file/);
      assert.match(error.message, /pytorch_model\.bin \(PyTorch pickle weights: loading them can run code/);
      return true;
    });
    await assert.rejects(downloadRepo({ endpoint: endpoint(), repo: 'hearth-test/no-such-model', destDir: freshDir() }), (error: unknown) => {
      assert.ok(error instanceof HubError && error.kind === 'not-found', String(error));
      assert.match(error.message, /hearth-test\/no-such-model was not found/);
      return true;
    });
  });

  it('downloads a sharded model through its index, and a GGUF repository only once a file is picked', async () => {
    const sharded = 'hearth-test/sharded';
    const shard = (n: number) => ({ path: `model-0000${n}-of-00002.safetensors`, content: Buffer.alloc(50_000 + n, n) });
    const index = { metadata: { total_size: 100_003 }, weight_map: { 'a.weight': shard(1).path, 'b.weight': shard(2).path, 'c.weight': shard(1).path } };
    const files = [
      demo.files.find((f) => f.path === 'config.json')!,
      { path: 'model.safetensors.index.json', content: Buffer.from(JSON.stringify(index)) },
      shard(1),
      shard(2),
      { path: 'consolidated.safetensors', content: Buffer.alloc(100_000, 9) },
      { path: 'onnx/model.onnx', content: Buffer.alloc(10, 1) },
    ];
    hub.addRepo({ id: sharded, files });
    const dir = freshDir();
    const result = await downloadRepo({ endpoint: endpoint(), repo: sharded, destDir: dir, policy: FAST });
    assert.deepEqual(result.files.map((f) => f.path).sort(), ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json']);
    await assertByteExact(dir, files.slice(0, 4));

    const ggufRepo = 'hearth-test/gguf-only';
    const ggufs = [
      { path: 'model-Q4_0.gguf', content: Buffer.alloc(30_000, 4) },
      { path: 'model-Q8_0.gguf', content: Buffer.alloc(60_000, 8) },
    ];
    hub.addRepo({ id: ggufRepo, files: ggufs });
    await assert.rejects(downloadRepo({ endpoint: endpoint(), repo: ggufRepo, destDir: freshDir() }), (error: unknown) => {
      assert.ok(error instanceof HubError && error.kind === 'choose-file', String(error));
      assert.match(error.message, /2 GGUF files.*\n {2}model-Q4_0\.gguf .*\n {2}model-Q8_0\.gguf/);
      return true;
    });
    const picked = freshDir();
    const gguf = await downloadRepo({ endpoint: endpoint(), repo: ggufRepo, files: ['model-Q8_0.gguf'], destDir: picked, policy: FAST });
    assert.equal(gguf.kind, 'gguf');
    assert.equal(gguf.importPath, join(picked, 'model-Q8_0.gguf'));
    await assertByteExact(picked, [ggufs[1]]);
    assert.equal(existsSync(join(picked, 'model-Q4_0.gguf')), false);
  });

  it('resumes after a restart from the part and sidecar on disk, and starts over when the sidecar names another commit', async () => {
    const dir = freshDir();
    // What a killed process leaves: the state file, a part and its sidecar.
    const pause = new AbortController();
    hub.throttle(WEIGHTS, 2 * 1024 * 1024);
    await downloadRepo({ endpoint: endpoint(), repo: REPO, destDir: dir, signal: pause.signal, policy: FAST, parallel: 1, files: [WEIGHTS], onProgress: (p) => p.doneBytes > 100_000 && pause.abort() }).catch(() => {});
    hub.throttle(WEIGHTS, null);
    const part = partPath(join(dir, WEIGHTS));
    const kept = (await stat(part)).size;
    const sidecar = JSON.parse(await readFile(`${part}.json`, 'utf8')) as { commit: string };
    assert.equal(sidecar.commit, hub.head(REPO));
    await writeFile(`${part}.json`, JSON.stringify({ ...sidecar, commit: '0'.repeat(40) }));
    const before = hub.requests.length;
    await downloadRepo({ endpoint: endpoint(), repo: REPO, destDir: dir, policy: FAST, files: [WEIGHTS] });
    const first = hub.requests.slice(before).find((r) => r.server === 'cdn');
    assert.equal(first?.range, null, `a part from another commit (${kept} bytes) is not resumed`);
    await assertByteExact(dir, demo.files.filter((f) => f.path === WEIGHTS));
  });

  it('checks the disk space before it starts', async () => {
    await assert.rejects(checkDiskSpace(scratch, Number.MAX_SAFE_INTEGER / 2), (error: unknown) => {
      assert.ok(error instanceof HubError && error.kind === 'disk-space');
      assert.match(error.message, /Not enough disk space .* needs .* more, and .* is free/);
      return true;
    });
    await checkDiskSpace(scratch, 1024);
  });
});
