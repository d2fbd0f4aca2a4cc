// The Hub client against the stand-in Hub (a real HTTP server), and against answers a Hub should
// not give (a small server of the test's own): search, model info, the file tree with its
// checksums and pagination, errors that say what to do, and the token's reach.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { checkRepoId, HubClient } from './hub-client.ts';
import { DEFAULT_HUB_ENDPOINT, HubEndpoint, resolveHubEndpoint } from './hub-endpoint.ts';
import { HubError } from './hub-error.ts';
import { demoModelRepo, StandInHub, type StandInRepoInput } from './test/stand-in-hub.ts';

const REPO = 'hearth-test/shakespeare-5m';
let hub: StandInHub;
let demo: StandInRepoInput;
before(async () => {
  demo = await demoModelRepo(REPO);
  hub = await StandInHub.start([demo, { ...demo, id: 'hearth-test/shakespeare-gated', gated: 'auto', downloads: 5 }]);
});
after(async () => hub?.close());

async function hubError(promise: Promise<unknown>): Promise<HubError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof HubError, `expected a HubError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a HubError');
}

describe('HubEndpoint', () => {
  it('takes HF_ENDPOINT and HF_TOKEN over the settings, and the public Hub without either', () => {
    assert.equal(resolveHubEndpoint({}, {}).url, DEFAULT_HUB_ENDPOINT);
    assert.equal(resolveHubEndpoint({}, {}).hasToken, false);
    assert.equal(resolveHubEndpoint({ endpoint: 'https://mirror.example/hf/', token: 'hf_settings' }, {}).url, 'https://mirror.example/hf');
    const fromEnv = resolveHubEndpoint({ endpoint: 'https://mirror.example', token: 'hf_settings' }, { HF_ENDPOINT: 'http://127.0.0.1:9/', HF_TOKEN: 'hf_env' });
    assert.equal(fromEnv.url, 'http://127.0.0.1:9');
    assert.equal(fromEnv.headersFor('http://127.0.0.1:9/api/models').Authorization, 'Bearer hf_env');
    assert.throws(() => resolveHubEndpoint({}, { HF_ENDPOINT: 'ftp://example.com' }), /not an http\(s\) address/);
  });

  it('sends the token to its own origin only, and never shows it', () => {
    const endpoint = new HubEndpoint('https://huggingface.co', 'hf_secret_token');
    assert.equal(endpoint.headersFor('https://huggingface.co/org/name/resolve/abc/config.json').Authorization, 'Bearer hf_secret_token');
    assert.equal(endpoint.headersFor('https://cdn-lfs.huggingface.co/repos/ab/cd').Authorization, undefined, 'another host');
    assert.equal(endpoint.headersFor('http://huggingface.co/org/name').Authorization, undefined, 'another scheme');
    assert.equal(endpoint.headersFor('https://huggingface.co:8443/org/name').Authorization, undefined, 'another port');
    assert.ok(!JSON.stringify(endpoint).includes('hf_secret_token'));
    assert.ok(!inspect(endpoint, { showHidden: true, depth: 5 }).includes('hf_secret_token'));
    assert.ok(!`${Object.values(endpoint).join(' ')}`.includes('hf_secret_token'));
  });
});

describe('HubClient against the stand-in Hub', () => {
  it('searches text-generation models, most downloaded first', async () => {
    const client = new HubClient(new HubEndpoint(hub.url));
    const results = await client.searchModels({ search: 'SHAKESPEARE', limit: 10 });
    assert.deepEqual(results.map((r) => r.id), [REPO, 'hearth-test/shakespeare-gated']);
    assert.equal(results[0].downloads, 1234);
    assert.equal(results[0].likes, 56);
    assert.deepEqual(results.map((r) => r.gated), [false, true], 'a gated repo says so in the search results');
    assert.equal((await client.searchModels({ search: 'shakespeare', limit: 1 })).length, 1);
    const query = new URLSearchParams(hub.requests.filter((r) => r.path === '/api/models').at(-1)!.query);
    assert.deepEqual(Object.fromEntries(query), { search: 'shakespeare', filter: 'text-generation', sort: 'downloads', direction: '-1', limit: '1' });
  });

  it('reads model info (commit sha, files, gating) and the file tree with sizes and checksums at a commit', async () => {
    const client = new HubClient(new HubEndpoint(hub.url));
    const info = await client.modelInfo(REPO);
    assert.equal(info.sha, hub.head(REPO));
    assert.deepEqual(info.siblings.map((s) => s.path).sort(), demo.files.map((f) => f.path).sort());
    assert.equal(info.gated, false);
    assert.equal((await client.modelInfo('hearth-test/shakespeare-gated')).gated, 'auto');
    assert.equal((await client.modelInfo(REPO, info.sha)).sha, info.sha);

    const tree = await client.listFiles(REPO, info.sha);
    for (const file of demo.files) {
      const entry = tree.find((e) => e.path === file.path);
      assert.ok(entry, file.path);
      assert.equal(entry.size, file.content.length);
      if (file.path.endsWith('.safetensors')) assert.equal(entry.sha256, createHash('sha256').update(file.content).digest('hex'), 'lfs.oid is the sha256');
      else {
        assert.equal(entry.sha256, null);
        assert.equal(entry.gitOid, createHash('sha1').update(`blob ${file.content.length}\0`).update(file.content).digest('hex'), 'oid is the git blob sha1');
      }
    }
  });

  it('says what to do: a missing repository, a missing revision, a gated one without a token', async () => {
    const client = new HubClient(new HubEndpoint(hub.url));
    const missing = await hubError(client.modelInfo('hearth-test/missing'));
    assert.equal(missing.kind, 'not-found');
    assert.match(missing.message, /The model repository hearth-test\/missing was not found on http:\/\/127\.0\.0\.1:\d+; check the name .* If it is private, give an access token/);
    const revision = await hubError(client.modelInfo(REPO, 'no-such-branch'));
    assert.equal(revision.kind, 'not-found');
    assert.match(revision.message, /has no such revision .*--revision/);
    const gated = await hubError(client.listFiles('hearth-test/shakespeare-gated', hub.head('hearth-test/shakespeare-gated')));
    assert.equal(gated.kind, 'needs-token');
    assert.equal(gated.status, 401);
    assert.ok(gated.message.includes(`accept its licence at ${hub.url}/hearth-test/shakespeare-gated`), gated.message);
    assert.equal((await new HubClient(new HubEndpoint(hub.url, hub.token)).listFiles('hearth-test/shakespeare-gated', 'main')).length, demo.files.length);
    assert.throws(() => checkRepoId('../etc/passwd'), /not a model repository id; write it as organisation\/name/);
    assert.throws(() => checkRepoId('org/name/extra'), /not a model repository id/);
  });
});

describe('HubClient against answers a Hub should not give', () => {
  let server: Server;
  let url = '';
  const answers = new Map<string, { status: number; body: string; headers?: Record<string, string> }>();
  before(async () => {
    server = createServer((request, response) => {
      const answer = answers.get(request.url ?? '') ?? { status: 404, body: '{"error":"nope"}' };
      response.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers });
      response.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('follows the tree\'s pagination (Link rel="next")', async () => {
    const sha = 'a'.repeat(40);
    const entry = (path: string) => ({ type: 'file', path, size: 3, oid: 'b'.repeat(40) });
    answers.set(`/api/models/org/paged/tree/${sha}?recursive=1`, { status: 200, body: JSON.stringify([entry('a.json')]), headers: { Link: `<${url}/api/models/org/paged/tree/${sha}?recursive=1&cursor=2>; rel="next"` } });
    answers.set(`/api/models/org/paged/tree/${sha}?recursive=1&cursor=2`, { status: 200, body: JSON.stringify([entry('b.json'), { type: 'directory', path: 'sub', size: 0, oid: 'c'.repeat(40) }]) });
    const files = await new HubClient(new HubEndpoint(url)).listFiles('org/paged', sha);
    assert.deepEqual(files.map((f) => f.path), ['a.json', 'b.json']);
  });

  it('refuses an answer in the wrong form, naming the field, and a page that is not JSON', async () => {
    answers.set('/api/models/org/odd', { status: 200, body: JSON.stringify({ id: 'org/odd', sha: 'not-a-sha', siblings: [] }) });
    const odd = await hubError(new HubClient(new HubEndpoint(url)).modelInfo('org/odd'));
    assert.equal(odd.kind, 'bad-response');
    assert.match(odd.message, /in a form Hearth does not know \(sha: a 40-character commit sha\)/);
    answers.set('/api/models/org/html', { status: 200, body: '<html>login</html>' });
    const html = await hubError(new HubClient(new HubEndpoint(url)).modelInfo('org/html'));
    assert.match(html.message, /something other than JSON; is HF_ENDPOINT .* a Hugging Face Hub\?/);
    answers.set('/api/models/org/busy', { status: 503, body: '{"error":"overloaded"}' });
    const busy = await hubError(new HubClient(new HubEndpoint(url)).modelInfo('org/busy'));
    assert.equal(busy.kind, 'server');
    assert.match(busy.message, /answered 503 .*overloaded.*try again later/);
  });

  it('says the Hub cannot be reached, naming it', async () => {
    // A port that was free a moment ago: nothing listens on it.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const error = await hubError(new HubClient(new HubEndpoint(`http://127.0.0.1:${port}`)).searchModels({ search: 'x' }));
    assert.equal(error.kind, 'network');
    assert.ok(error.message.startsWith(`Could not reach http://127.0.0.1:${port} for the search for 'x' (ECONNREFUSED`), error.message);
  });
});
