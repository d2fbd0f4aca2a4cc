// The Hub in the app, against the project's stand-in Hub (a real HTTP server on 127.0.0.1): the
// API handlers the Discover page calls, over a real store in a temporary data folder. A download
// is a job in SQLite, pauses and resumes with Range requests from its .part files (also across a
// restart of the services), is cancelled with its parts removed, and ends in the library.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiEvent } from '../common/contracts/events.ts';
import type { Download } from '../common/contracts/hub.ts';
import { ApiError } from '../common/contracts/api-error.ts';
import { demoModelRepo, StandInHub, DEMO_MODEL_DIR } from '../hub/test/stand-in-hub.ts';
import { openStore, databaseFileIn } from '../store/store.ts';
import { createServices, type Services } from './create-services.ts';
import { destDirOf, DownloadsService } from './downloads-service.ts';
import { EventBus } from './event-bus.ts';
import { LibraryService } from './library-service.ts';
import { HubEndpoint } from '../hub/hub-endpoint.ts';
import { CPU_ONLY_MACHINE, EventRecorder, NO_WORKER, RESOURCES_DIR } from './services-test-support.ts';

const DEMO = 'hearth-test/shakespeare-5m';
const GATED = 'hearth-test/gated-5m';
const GGUF = 'hearth-test/tiny-gguf';
const BIN_ONLY = 'hearth-test/old-pickles';
const WEIGHTS = 'model.safetensors';

/** The requests for the weights, at the Hub or at the CDN it redirects them to. */
function weightRequests(hub: StandInHub) {
  return hub.requests.filter((r) => r.path.split('/').includes(WEIGHTS));
}
const WEIGHTS_BYTES = readFileSync(join(DEMO_MODEL_DIR, WEIGHTS)).length;

interface Opened {
  services: Services;
  events: EventRecorder;
}

async function open(dataDir: string, hub: StandInHub): Promise<Opened> {
  const services = await createServices({
    dataDir,
    resourcesDir: RESOURCES_DIR,
    launcher: NO_WORKER,
    detectHardware: async () => CPU_ONLY_MACHINE,
    env: { HF_ENDPOINT: hub.url },
  });
  const events = new EventRecorder();
  services.events.subscribe(events.listener);
  return { services, events };
}

function finished(events: EventRecorder, mark: number, jobId: string, state: Download['state'] = 'completed', timeoutMs = 60_000): Promise<ApiEvent> {
  return events.next(mark, 'download.progress', (e) => e.jobId === jobId && e.state === state, timeoutMs);
}

/** Waits until the download has at least `bytes` on disk (from its progress events). */
function fetched(events: EventRecorder, mark: number, jobId: string, bytes: number): Promise<ApiEvent> {
  return events.next(mark, 'download.progress', (e) => e.jobId === jobId && e.progress.doneBytes >= bytes, 60_000);
}

function assertSameAsDemo(dir: string): void {
  for (const name of readdirSync(DEMO_MODEL_DIR)) {
    assert.deepEqual(readFileSync(join(dir, name)), readFileSync(join(DEMO_MODEL_DIR, name)), `${name} is byte-exact`);
  }
}

describe('downloads from the stand-in Hub', () => {
  let hub: StandInHub;
  let dataDir: string;
  let app: Opened;

  before(async () => {
    hub = await StandInHub.start([
      await demoModelRepo(DEMO),
      await demoModelRepo(GATED, { gated: 'manual', downloads: 10 }),
      {
        id: GGUF,
        downloads: 5,
        files: [
          { path: 'tiny-Q4_K_M.gguf', content: Buffer.alloc(3000, 1) },
          { path: 'tiny-Q8_0.gguf', content: Buffer.alloc(5000, 2) },
          { path: 'README.md', content: Buffer.from('# tiny') },
        ],
      },
      { id: BIN_ONLY, downloads: 1, files: [{ path: 'config.json', content: Buffer.from('{}') }, { path: 'pytorch_model.bin', content: Buffer.alloc(100) }] },
    ]);
    dataDir = await mkdtemp(join(tmpdir(), 'hearth-downloads-'));
    app = await open(dataDir, hub);
  });

  after(async () => {
    await app?.services.close();
    await hub?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('search lists model cards with downloads and likes, from HF_ENDPOINT', async () => {
    const result = await app.services.handlers['hub.search']({ search: 'hearth-test', limit: 20, sort: 'downloads' });
    assert.equal(result.endpoint, hub.url);
    assert.deepEqual(result.models.map((m) => m.repo), [DEMO, GATED, GGUF, BIN_ONLY], 'most downloads first');
    assert.equal(result.models[0].downloads, 1234);
    assert.equal(result.models[0].likes, 56);
    assert.ok(hub.requests.some((r) => r.server === 'hub' && r.path === '/api/models'));
  });

  test("a repo's details: its files, and the size per precision and fit badge the quantization dropdown gives the same config", async () => {
    const info = await app.services.handlers['hub.modelInfo']({ repo: DEMO });
    assert.equal(info.kind, 'safetensors');
    assert.equal(info.commit, hub.head(DEMO));
    assert.deepEqual(info.files.map((f) => f.path).sort(), readdirSync(DEMO_MODEL_DIR).sort());
    assert.equal(info.totalBytes, info.files.reduce((n, f) => n + f.sizeBytes, 0));
    assert.ok(info.files.some((f) => f.path === WEIGHTS && f.sizeBytes === WEIGHTS_BYTES), 'the LFS size, not the pointer');
    assert.equal(info.model?.architecture, 'llama');
    // The bundled demo model is the same config: its dropdown plan (models.plan) is what Discover shows before the download.
    const dropdown = await app.services.handlers['models.plan']({ modelId: 'shakespeare-5m', contextTokens: 2048 });
    assert.deepEqual(info.plan, dropdown.plan);
    assert.deepEqual(info.plan?.options.map((o) => o.precision), ['fp32', 'fp16', 'int8', 'int4']);
    assert.ok(info.plan?.options.every((o) => o.fit === 'fits-ram-cpu'));
    // Nothing but config.json (and the file list) was read from the repo to plan it.
    const fetchedFiles = hub.requests.filter((r) => r.path.startsWith(`/${DEMO}/resolve/`)).map((r) => r.path.split('/').at(-1));
    assert.deepEqual(fetchedFiles, ['config.json']);
  });

  test('a GGUF-only repo lists its files to pick one quantization; a .bin-only repo says why it cannot be used', async () => {
    const gguf = await app.services.handlers['hub.modelInfo']({ repo: GGUF });
    assert.equal(gguf.kind, 'gguf');
    assert.equal(gguf.plan, null);
    assert.deepEqual(
      gguf.ggufFiles.map((f) => [f.path, f.quantization, f.sizeBytes, f.fit]),
      [
        ['tiny-Q4_K_M.gguf', 'Q4_K_M', 3000, 'fits-ram-cpu'],
        ['tiny-Q8_0.gguf', 'Q8_0', 5000, 'fits-ram-cpu'],
      ],
    );
    const bin = await app.services.handlers['hub.modelInfo']({ repo: BIN_ONLY });
    assert.equal(bin.kind, 'unusable');
    assert.match(bin.unusableReason ?? '', /pytorch_model\.bin/);
    assert.match(bin.unusableReason ?? '', /safetensors/);
  });

  test('a download is a job that reports progress per file, lands byte-exact, and joins the library', async () => {
    const mark = app.events.mark();
    const started = await app.services.handlers['downloads.start']({ repo: DEMO });
    assert.equal(started.state, 'running');
    assert.equal(started.destDir, destDirOf(dataDir, DEMO, null));
    const done = await finished(app.events, mark, started.jobId);
    assert.equal(done.type === 'download.progress' && done.error, null);
    const progress = app.events.since(mark, 'download.progress').filter((e) => e.jobId === started.jobId && e.state === 'running' && e.progress.totalBytes);
    assert.ok(progress.length > 0, 'progress events while it ran');
    const last = progress.at(-1)!.progress;
    assert.equal(last.doneBytes, last.totalBytes, 'the bar reaches the total');
    assert.ok(last.files.some((f) => f.path === WEIGHTS && f.totalBytes === WEIGHTS_BYTES), 'per-file progress');

    const [download] = (await app.services.handlers['downloads.list']({})).filter((d) => d.jobId === started.jobId);
    assert.equal(download.state, 'completed');
    assert.equal(download.commit, hub.head(DEMO), 'pinned to the commit');
    assert.equal(download.progress.doneBytes, download.progress.totalBytes);
    const models = await app.services.handlers['models.list']({});
    const model = models.find((m) => m.id === download.modelId);
    assert.ok(model, 'the model is in the library');
    assert.equal(model.name, DEMO);
    assertSameAsDemo(download.destDir);
    // It is a job in the jobs table the fine-tunes use, of kind 'download'; the fine-tune list does not show it.
    assert.deepEqual(await app.services.handlers['jobs.list']({}), []);
  });

  test('pause keeps the .part file; resume continues it with a Range request', async () => {
    const repo = 'hearth-test/pause-me';
    hub.addRepo(await demoModelRepo(repo));
    hub.throttle(WEIGHTS, 2_000_000);
    try {
      const mark = app.events.mark();
      const { jobId, destDir } = await app.services.handlers['downloads.start']({ repo });
      await fetched(app.events, mark, jobId, 1_000_000);
      const paused = await app.services.handlers['downloads.pause']({ jobId });
      assert.equal(paused.state, 'paused');
      assert.equal(paused.resumable, true);
      const part = join(destDir, `${WEIGHTS}.part`);
      assert.ok(existsSync(part), 'the part stays');
      const kept = readFileSync(part).length;
      assert.ok(kept > 0 && kept < WEIGHTS_BYTES);
      assert.ok(paused.progress.doneBytes >= kept, 'the paused download shows what it has');

      hub.throttle(WEIGHTS, null);
      const resumeMark = app.events.mark();
      const resumed = await app.services.handlers['downloads.resume']({ jobId });
      assert.equal(resumed.state, 'running');
      await finished(app.events, resumeMark, jobId);
      const ranges = weightRequests(hub).filter((r) => r.server === 'cdn' && r.range !== null).map((r) => r.range);
      assert.ok(ranges.some((r) => r === `bytes=${kept}-`), `resumed from byte ${kept}: ${ranges.join(', ')}`);
      assertSameAsDemo(destDir);
    } finally {
      hub.throttle(WEIGHTS, null);
    }
  });

  test('cancel stops the download and removes its parts', async () => {
    const repo = 'hearth-test/cancel-me';
    hub.addRepo(await demoModelRepo(repo));
    hub.throttle(WEIGHTS, 1_000_000);
    try {
      const mark = app.events.mark();
      const { jobId, destDir } = await app.services.handlers['downloads.start']({ repo });
      await fetched(app.events, mark, jobId, 200_000);
      const cancelled = await app.services.handlers['downloads.cancel']({ jobId });
      assert.equal(cancelled.state, 'cancelled');
      assert.equal(cancelled.resumable, false);
      assert.equal(existsSync(destDir), false, 'nothing of it is left');
      await assert.rejects(app.services.handlers['downloads.resume']({ jobId }), /only a paused or failed download can be resumed/);
    } finally {
      hub.throttle(WEIGHTS, null);
    }
  });

  test('a GGUF quantization picked from the repo is imported through the GGUF import', async () => {
    const mark = app.events.mark();
    const { jobId, destDir } = await app.services.handlers['downloads.start']({ repo: GGUF, file: 'tiny-Q4_K_M.gguf' });
    assert.equal(destDir, destDirOf(dataDir, GGUF, 'tiny-Q4_K_M.gguf'));
    const end = await finished(app.events, mark, jobId, 'failed');
    // The stand-in's bytes are not a GGUF file: the download is verified, and the GGUF import refuses it, saying why.
    assert.match(end.type === 'download.progress' ? (end.error ?? '') : '', /downloaded and verified, but the model could not be added to the library: .*tiny-Q4_K_M\.gguf/);
    assert.deepEqual(readFileSync(join(destDir, 'tiny-Q4_K_M.gguf')), Buffer.alloc(3000, 1));
  });

  test('a gated repo asks for a token and names where to accept the licence; with the token set, resume completes it', async () => {
    const info = await app.services.handlers['hub.modelInfo']({ repo: GATED });
    assert.equal(info.gated, true);
    assert.equal(info.kind, 'needs-token');
    assert.equal(info.licenceUrl, `${hub.url}/${GATED}`);
    assert.match(info.unusableReason ?? '', new RegExp(`accept its licence at ${hub.url}/${GATED}`));

    const mark = app.events.mark();
    const { jobId } = await app.services.handlers['downloads.start']({ repo: GATED });
    const failed = await finished(app.events, mark, jobId, 'failed');
    assert.match(failed.type === 'download.progress' ? (failed.error ?? '') : '', /gated or private: accept its licence at .* give a Hugging Face access token/);

    const settings = await app.services.handlers['hub.setSettings']({ token: hub.token });
    assert.equal(settings.token.source, 'settings');
    assert.equal(settings.token.masked, `hf_…${hub.token.slice(-4)}`);
    assert.ok(!JSON.stringify(settings).includes(hub.token), 'the token never goes back whole');
    assert.equal((await app.services.handlers['hub.modelInfo']({ repo: GATED })).kind, 'safetensors', 'with the token its files are listed');

    const resumeMark = app.events.mark();
    await app.services.handlers['downloads.resume']({ jobId });
    await finished(app.events, resumeMark, jobId);
    // The token went to the Hub only, never to the CDN the weights were redirected to.
    const gatedRequests = hub.requests.filter((r) => r.path.includes('gated-5m') || r.server === 'cdn');
    assert.ok(gatedRequests.filter((r) => r.server === 'cdn').every((r) => r.authorization === null));
    await app.services.handlers['hub.setSettings']({ token: null });
    assert.equal((await app.services.handlers['hub.settings']({})).token.masked, null);
  });

  test("deleting a downloaded model from the library removes the files its download fetched", async () => {
    const repo = 'hearth-test/delete-me';
    hub.addRepo(await demoModelRepo(repo));
    const mark = app.events.mark();
    const { jobId, destDir } = await app.services.handlers['downloads.start']({ repo });
    await finished(app.events, mark, jobId);
    const [download] = (await app.services.handlers['downloads.list']({})).filter((d) => d.jobId === jobId);
    assert.ok(existsSync(join(destDir, WEIGHTS)));
    await app.services.handlers['models.delete']({ modelId: download.modelId! });
    assert.equal(existsSync(destDir), false, 'its files are gone with it');
    const [after] = (await app.services.handlers['downloads.list']({})).filter((d) => d.jobId === jobId);
    assert.equal(after.state, 'cancelled');
    assert.equal(after.modelId, null);
  });

  test('bad input is refused with what to write', async () => {
    await assert.rejects(app.services.handlers['downloads.start']({ repo: '../etc/passwd' }), (e: unknown) => e instanceof ApiError && e.code === 'invalid-input');
    await assert.rejects(app.services.handlers['hub.modelInfo']({ repo: 'hearth-test/no-such-model' }), (e: unknown) => e instanceof ApiError && e.code === 'not-found' && /was not found/.test(e.message));
    await assert.rejects(app.services.handlers['hub.setSettings']({ endpoint: 'ftp://mirror' }), (e: unknown) => e instanceof ApiError && e.code === 'invalid-input');
    await assert.rejects(app.services.handlers['downloads.pause']({ jobId: 'nope' }), (e: unknown) => e instanceof ApiError && e.code === 'not-found');
  });
});

test('a download cut off by closing Hearth is paused at the next start and resumes from its part with a Range request', async (t) => {
  const hub = await StandInHub.start([await demoModelRepo(DEMO)]);
  const dataDir = await mkdtemp(join(tmpdir(), 'hearth-downloads-restart-'));
  t.after(async () => {
    await hub.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  hub.throttle(WEIGHTS, 2_000_000);
  const first = await open(dataDir, hub);
  const mark = first.events.mark();
  const { jobId, destDir } = await first.services.handlers['downloads.start']({ repo: DEMO });
  await fetched(first.events, mark, jobId, 1_000_000);
  await first.services.close();
  const kept = readFileSync(join(destDir, `${WEIGHTS}.part`)).length;
  assert.ok(kept > 0 && kept < WEIGHTS_BYTES);

  // As if Hearth had crashed instead: the job is left 'running' in the database.
  const store = openStore(databaseFileIn(dataDir));
  store.downloads.update(jobId, 'running');
  store.close();

  hub.throttle(WEIGHTS, null);
  const second = await open(dataDir, hub);
  t.after(() => second.services.close());
  assert.ok(second.services.startupNotices.some((n) => /A download was cut off .* resume on the Discover page/.test(n)));
  const [paused] = await second.services.handlers['downloads.list']({});
  assert.equal(paused.state, 'paused');
  assert.equal(paused.resumable, true);
  assert.equal(paused.commit, hub.head(DEMO));
  assert.ok(paused.progress.doneBytes > 0, 'the bytes fetched survive the restart');

  const resumeMark = second.events.mark();
  await second.services.handlers['downloads.resume']({ jobId });
  await finished(second.events, resumeMark, jobId);
  assert.ok(weightRequests(hub).some((r) => r.range === `bytes=${kept}-`), 'resumed with a Range request from the part');
  assertSameAsDemo(destDir);
  const models = await second.services.handlers['models.list']({});
  assert.ok(models.some((m) => m.name === DEMO));
});

test('a server that keeps failing ends the download as failed with the reason, after the retries were shown; resume then finishes it', async (t) => {
  const hub = await StandInHub.start([await demoModelRepo(DEMO)]);
  const dataDir = await mkdtemp(join(tmpdir(), 'hearth-downloads-failing-'));
  const store = openStore(databaseFileIn(dataDir));
  t.after(async () => {
    store.close();
    await hub.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  const bus = new EventBus();
  const events = new EventRecorder();
  bus.subscribe(events.listener);
  const library = new LibraryService(store, dataDir, bus, { busyReason: () => null, release: async () => {} });
  const downloads = new DownloadsService({
    store,
    dataDir,
    bus,
    importModel: (input) => library.importModel(input),
    endpoint: () => new HubEndpoint(hub.url),
    policy: { retries: 2, baseDelayMs: 10, maxDelayMs: 50, stallTimeoutMs: 1500 },
  });
  hub.failWith(WEIGHTS, 500, 10);
  const mark = events.mark();
  const { jobId } = downloads.start({ repo: DEMO });
  const failed = await finished(events, mark, jobId, 'failed');
  assert.match(failed.type === 'download.progress' ? (failed.error ?? '') : '', /500/);
  assert.ok(
    events.since(mark, 'download.progress').some((e) => e.progress.retrying !== null && /model\.safetensors/.test(e.progress.retrying)),
    'each retry was shown while it happened, not hidden',
  );
  assert.equal(downloads.get(jobId).resumable, true);

  hub.clearFaults();
  const resumeMark = events.mark();
  downloads.resume(jobId);
  await finished(events, resumeMark, jobId);
  assertSameAsDemo(downloads.get(jobId).destDir);
  assert.ok(library.list().some((m) => m.id === downloads.get(jobId).modelId));
  await downloads.close();
});
