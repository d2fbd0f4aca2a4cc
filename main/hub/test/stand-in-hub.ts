// Test support only: a stand-in for the Hugging Face Hub, a real HTTP server on 127.0.0.1 that
// speaks the routes Hearth uses (search, model info, file tree, resolve with Range), serving
// repositories described in memory, with a second server as the "CDN" that the Hub redirects
// LFS files to (another port: another origin, so a test sees whether the token leaked there).
//
// Faults, each armed for a number of transfers of one file:
//   - dropConnectionAt: the connection is cut once the file's byte `offset` has been sent;
//   - corruptTransfer: the bytes sent are altered (same length), so the checksum fails;
//   - failWith: an error status (500) instead of the file;
//   - stallAt: the bytes stop at `offset` and the connection stays open;
//   - throttle: the file is sent at a given speed (a slow server to kill a client in the middle of).
// Every request is recorded (method, path, Range and Authorization), and the bytes sent per file.
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEMO_MODEL_DIR = fileURLToPath(new URL('../../../resources/models/shakespeare-5m/', import.meta.url));

export interface StandInFile {
  path: string;
  content: Buffer;
  /** Stored in LFS (redirected to the CDN, checked by sha256); default: weights and files over 10 MiB. */
  lfs?: boolean;
}

export interface StandInRepoInput {
  /** "organisation/name" */
  id: string;
  files: StandInFile[];
  /** Needs the hub's token for its files (401 without it, 403 with another). */
  gated?: false | 'auto' | 'manual';
  downloads?: number;
  likes?: number;
  pipelineTag?: string;
  tags?: string[];
}

export interface RecordedRequest {
  server: 'hub' | 'cdn';
  method: string;
  path: string;
  /** The query string, with its '?' (or ''). */
  query: string;
  range: string | null;
  authorization: string | null;
}

interface Commit {
  sha: string;
  files: Map<string, StoredFile>;
}

interface StoredFile {
  path: string;
  content: Buffer;
  lfs: boolean;
  sha256: string;
  gitOid: string;
}

interface Repo {
  input: StandInRepoInput;
  commits: Commit[];
}

type Fault =
  | { kind: 'drop'; offset: number; times: number }
  | { kind: 'corrupt'; times: number }
  | { kind: 'status'; status: number; times: number }
  | { kind: 'stall'; offset: number; times: number };

const LFS_EXTENSIONS = /\.(safetensors|gguf|bin|pt|pth|h5|msgpack|onnx)$/i;
const LFS_SIZE = 10 * 1024 * 1024;

export class StandInHub {
  /** The token a gated repository accepts. */
  readonly token = `hf_standin_${randomBytes(8).toString('hex')}`;
  readonly requests: RecordedRequest[] = [];
  private readonly repos = new Map<string, Repo>();
  private readonly faults = new Map<string, Fault[]>();
  private readonly speeds = new Map<string, number>();
  private readonly sent = new Map<string, number>();
  private hub!: Server;
  private cdn!: Server;
  /** The Hub's address: give it as HF_ENDPOINT. */
  url = '';
  cdnUrl = '';

  static async start(repos: readonly StandInRepoInput[] = []): Promise<StandInHub> {
    const hub = new StandInHub();
    for (const repo of repos) hub.addRepo(repo);
    hub.hub = createServer((request, response) => hub.serveHub(request, response));
    hub.cdn = createServer((request, response) => hub.serveCdn(request, response));
    hub.url = `http://127.0.0.1:${await listen(hub.hub)}`;
    hub.cdnUrl = `http://127.0.0.1:${await listen(hub.cdn)}`;
    return hub;
  }

  async close(): Promise<void> {
    for (const server of [this.hub, this.cdn]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** Adds a repository with one commit; returns its sha. */
  addRepo(input: StandInRepoInput): string {
    const repo: Repo = { input, commits: [] };
    this.repos.set(input.id, repo);
    return this.pushCommit(input.id, input.files);
  }

  /** A new commit on main with these files (the repository changing during a download); returns its sha. */
  pushCommit(id: string, files: StandInFile[]): string {
    const repo = this.requireRepo(id);
    const stored = new Map(files.map((file) => [file.path, storedFile(file)]));
    const sha = createHash('sha1').update(`${id}\n${repo.commits.length}\n${[...stored.values()].map((f) => `${f.path}:${f.gitOid}`).join('\n')}`).digest('hex');
    repo.commits.push({ sha, files: stored });
    return sha;
  }

  /** The commit main points at. */
  head(id: string): string {
    const commits = this.requireRepo(id).commits;
    return commits[commits.length - 1].sha;
  }

  /** The next `times` transfers of `path` are cut once byte `offset` of the file has been sent. */
  dropConnectionAt(path: string, offset: number, times = 1): void {
    this.addFault(path, { kind: 'drop', offset, times });
  }

  /** The next `times` transfers of `path` send altered bytes (same length). */
  corruptTransfer(path: string, times = 1): void {
    this.addFault(path, { kind: 'corrupt', times });
  }

  /** The next `times` requests for `path` are answered with `status` (e.g. 500). */
  failWith(path: string, status = 500, times = 1): void {
    this.addFault(path, { kind: 'status', status, times });
  }

  /** The next `times` transfers of `path` stop sending at `offset`, leaving the connection open. */
  stallAt(path: string, offset: number, times = 1): void {
    this.addFault(path, { kind: 'stall', offset, times });
  }

  /** Disarms every fault and throttle. */
  clearFaults(): void {
    this.faults.clear();
    this.speeds.clear();
  }

  /** `path` is sent at about `bytesPerSecond` from now on (null: full speed again). */
  throttle(path: string, bytesPerSecond: number | null): void {
    if (bytesPerSecond === null) this.speeds.delete(path);
    else this.speeds.set(path, bytesPerSecond);
  }

  /** Bytes of `path`'s content sent so far, over every transfer. */
  bytesSent(path: string): number {
    return this.sent.get(path) ?? 0;
  }

  private addFault(path: string, fault: Fault): void {
    this.faults.set(path, [...(this.faults.get(path) ?? []), fault]);
  }

  /** The first armed fault of `path` of these kinds, used up by one. */
  private takeFault(path: string, kinds: Fault['kind'][]): Fault | null {
    const list = this.faults.get(path) ?? [];
    const fault = list.find((f) => kinds.includes(f.kind) && f.times > 0);
    if (!fault) return null;
    fault.times--;
    return { ...fault };
  }

  private requireRepo(id: string): Repo {
    const repo = this.repos.get(id);
    if (!repo) throw new Error(`the stand-in Hub has no repository ${id}`);
    return repo;
  }

  private record(server: 'hub' | 'cdn', request: IncomingMessage, url: URL): void {
    this.requests.push({
      server,
      method: request.method ?? 'GET',
      path: url.pathname,
      query: url.search,
      range: header(request, 'range'),
      authorization: header(request, 'authorization'),
    });
  }

  private serveHub(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', this.url);
    this.record('hub', request, url);
    const path = decodeURIComponent(url.pathname);
    let match: RegExpExecArray | null;
    if (path === '/api/models') return this.search(url, response);
    if ((match = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)$/.exec(path))) return this.tree(request, response, match[1], match[2]);
    if ((match = /^\/api\/models\/([^/]+\/[^/]+)(?:\/revision\/([^/]+))?$/.exec(path))) return this.info(request, response, match[1], match[2] ?? 'main');
    if ((match = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path))) return this.resolve(request, response, match[1], match[2], match[3]);
    sendJson(response, 404, { error: 'Not found' });
  }

  private search(url: URL, response: ServerResponse): void {
    const search = (url.searchParams.get('search') ?? '').toLowerCase();
    const filter = url.searchParams.get('filter');
    const limit = Number(url.searchParams.get('limit') ?? 1000);
    const found = [...this.repos.values()]
      .filter((repo) => repo.input.id.toLowerCase().includes(search))
      .filter((repo) => !filter || (repo.input.pipelineTag ?? 'text-generation') === filter || (repo.input.tags ?? []).includes(filter))
      .sort((a, b) => (b.input.downloads ?? 0) - (a.input.downloads ?? 0))
      .slice(0, limit);
    sendJson(
      response,
      200,
      found.map((repo) => ({
        _id: repo.commits[0].sha.slice(0, 24),
        id: repo.input.id,
        modelId: repo.input.id,
        likes: repo.input.likes ?? 0,
        downloads: repo.input.downloads ?? 0,
        private: false,
        gated: repo.input.gated ?? false,
        pipeline_tag: repo.input.pipelineTag ?? 'text-generation',
        library_name: 'transformers',
        tags: repo.input.tags ?? ['safetensors', 'text-generation'],
        createdAt: '2026-01-01T00:00:00.000Z',
      })),
    );
  }

  private info(request: IncomingMessage, response: ServerResponse, id: string, revision: string): void {
    const found = this.lookUp(request, response, id, revision, false);
    if (!found) return;
    const { repo, commit } = found;
    sendJson(response, 200, {
      _id: repo.commits[0].sha.slice(0, 24),
      id,
      modelId: id,
      author: id.split('/')[0],
      sha: commit.sha,
      lastModified: '2026-01-01T00:00:00.000Z',
      private: false,
      disabled: false,
      gated: repo.input.gated ?? false,
      downloads: repo.input.downloads ?? 0,
      likes: repo.input.likes ?? 0,
      pipeline_tag: repo.input.pipelineTag ?? 'text-generation',
      library_name: 'transformers',
      tags: repo.input.tags ?? ['safetensors', 'text-generation'],
      siblings: [...commit.files.keys()].map((rfilename) => ({ rfilename })),
    });
  }

  private tree(request: IncomingMessage, response: ServerResponse, id: string, revision: string): void {
    const found = this.lookUp(request, response, id, revision, true);
    if (!found) return;
    const entries: unknown[] = [];
    const folders = new Set<string>();
    for (const file of found.commit.files.values()) {
      const parts = file.path.split('/');
      for (let i = 1; i < parts.length; i++) folders.add(parts.slice(0, i).join('/'));
      entries.push({
        type: 'file',
        oid: file.gitOid,
        size: file.lfs ? lfsPointer(file).length : file.content.length,
        path: file.path,
        ...(file.lfs ? { lfs: { oid: file.sha256, size: file.content.length, pointerSize: lfsPointer(file).length } } : {}),
      });
    }
    for (const folder of folders) entries.push({ type: 'directory', oid: createHash('sha1').update(folder).digest('hex'), size: 0, path: folder });
    sendJson(response, 200, entries);
  }

  private resolve(request: IncomingMessage, response: ServerResponse, id: string, revision: string, path: string): void {
    const found = this.lookUp(request, response, id, revision, true);
    if (!found) return;
    const file = found.commit.files.get(path);
    if (!file) {
      response.setHeader('X-Error-Code', 'EntryNotFound');
      return sendJson(response, 404, { error: `Entry not found: ${path}` });
    }
    response.setHeader('X-Repo-Commit', found.commit.sha);
    if (file.lfs) {
      // As the Hub does: a redirect to a signed CDN address, with the file's ETag and size on the redirect.
      response.setHeader('X-Linked-Etag', `"${file.sha256}"`);
      response.setHeader('X-Linked-Size', String(file.content.length));
      response.setHeader('ETag', `"${file.gitOid}"`);
      response.setHeader('Location', `${this.cdnUrl}/cdn/${encodeURIComponent(path)}/${file.sha256}?signature=${randomBytes(6).toString('hex')}`);
      response.writeHead(302).end();
      return;
    }
    response.setHeader('ETag', `"${file.gitOid}"`);
    this.sendContent(request, response, file);
  }

  private serveCdn(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', this.cdnUrl);
    this.record('cdn', request, url);
    const match = /^\/cdn\/([^/]+)\/([0-9a-f]{64})$/.exec(url.pathname);
    const file = match ? this.findBlob(match[2]) : undefined;
    if (!file || !url.searchParams.has('signature')) return sendJson(response, 403, { error: 'bad signature' });
    response.setHeader('ETag', `"${file.sha256}"`);
    this.sendContent(request, response, file);
  }

  private findBlob(sha256: string): StoredFile | undefined {
    for (const repo of this.repos.values()) for (const commit of repo.commits) for (const file of commit.files.values()) if (file.sha256 === sha256) return file;
    return undefined;
  }

  /** The repository and commit asked for, or an answer as the Hub gives it (401/403 for a gated repo's files, RepoNotFound, RevisionNotFound). */
  private lookUp(request: IncomingMessage, response: ServerResponse, id: string, revision: string, needsAccess: boolean): { repo: Repo; commit: Commit } | null {
    const repo = this.repos.get(id);
    const authorization = header(request, 'authorization');
    if (!repo) {
      response.setHeader('X-Error-Code', 'RepoNotFound');
      sendJson(response, authorization ? 404 : 401, { error: 'Repository not found' });
      return null;
    }
    if (needsAccess && repo.input.gated && authorization !== `Bearer ${this.token}`) {
      response.setHeader('X-Error-Code', 'GatedRepo');
      sendJson(response, authorization ? 403 : 401, { error: `Access to model ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.` });
      return null;
    }
    const commit = revision === 'main' ? repo.commits[repo.commits.length - 1] : repo.commits.find((c) => c.sha === revision);
    if (!commit) {
      response.setHeader('X-Error-Code', 'RevisionNotFound');
      sendJson(response, 404, { error: `Invalid rev id: ${revision}` });
      return null;
    }
    return { repo, commit };
  }

  /** The file's bytes (or the Range asked for), with the faults armed for it. */
  private sendContent(request: IncomingMessage, response: ServerResponse, file: StoredFile): void {
    const status = this.takeFault(file.path, ['status']);
    if (status && status.kind === 'status') return sendJson(response, status.status, { error: 'Internal Error' });
    const size = file.content.length;
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(header(request, 'range') ?? '');
    if (range) {
      start = Number(range[1]);
      if (start >= size) {
        response.setHeader('Content-Range', `bytes */${size}`);
        return sendJson(response, 416, { error: 'Range Not Satisfiable' });
      }
      response.setHeader('Content-Range', `bytes ${start}-${size - 1}/${size}`);
    }
    response.setHeader('Accept-Ranges', 'bytes');
    response.setHeader('Content-Length', String(size - start));
    response.setHeader('Content-Type', 'application/octet-stream');
    response.writeHead(range ? 206 : 200);
    if (request.method === 'HEAD') return void response.end();

    let body = file.content.subarray(start);
    if (this.takeFault(file.path, ['corrupt'])) {
      body = Buffer.from(body);
      const at = Math.floor(body.length / 2);
      body[at] ^= 0xff;
    }
    const cut = this.takeFault(file.path, ['drop', 'stall']);
    const end = cut && cut.kind !== 'status' && cut.kind !== 'corrupt' && cut.offset > start ? cut.offset - start : body.length;
    void this.stream(response, file.path, body.subarray(0, end)).then((finished) => {
      if (!finished) return;
      if (end === body.length) return void response.end();
      // A FIN after the bytes sent (a destroy could reset the connection and lose bytes already sent, making the cut point vary).
      if (cut?.kind === 'drop') response.socket?.end();
      // A stall keeps the connection open without another byte; the client gives up on it.
    });
  }

  /** Writes `bytes` (each piece handed to the socket before the next) at the file's throttled speed, if any; false when the client went away. */
  private async stream(response: ServerResponse, path: string, bytes: Buffer): Promise<boolean> {
    const chunk = 16 * 1024;
    for (let at = 0; at < bytes.length; at += chunk) {
      const piece = bytes.subarray(at, Math.min(bytes.length, at + chunk));
      if (!(await written(response, piece))) return false;
      this.sent.set(path, (this.sent.get(path) ?? 0) + piece.length);
      const speed = this.speeds.get(path);
      if (speed) await new Promise((resolve) => setTimeout(resolve, (piece.length / speed) * 1000));
    }
    return !response.destroyed;
  }
}

/** Resolves true once `piece` is handed to the socket, false if the response closed first. */
function written(response: ServerResponse, piece: Buffer): Promise<boolean> {
  if (response.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const closed = () => resolve(false);
    response.once('close', closed);
    response.write(piece, (error) => {
      response.off('close', closed);
      resolve(!error && !response.destroyed);
    });
  });
}

/** The demo model (config, generation config, tokenizer, fp16 safetensors) as a repository. */
export async function demoModelRepo(id = 'hearth-test/shakespeare-5m', extra: Partial<StandInRepoInput> = {}): Promise<StandInRepoInput> {
  return { id, files: await filesOf(DEMO_MODEL_DIR), downloads: 1234, likes: 56, ...extra };
}

/** Every file of a folder (recursively), as a repository's files. */
export async function filesOf(dir: string): Promise<StandInFile[]> {
  const files: StandInFile[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    files.push({ path: full.slice(dir.replace(/\/?$/, '/').length).split('\\').join('/'), content: await readFile(full) });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

function storedFile(file: StandInFile): StoredFile {
  const lfs = file.lfs ?? (LFS_EXTENSIONS.test(file.path) || file.content.length > LFS_SIZE);
  const sha256 = createHash('sha256').update(file.content).digest('hex');
  const stored: StoredFile = { path: file.path, content: file.content, lfs, sha256, gitOid: '' };
  const blob = lfs ? lfsPointer(stored) : file.content;
  stored.gitOid = createHash('sha1').update(`blob ${blob.length}\0`).update(blob).digest('hex');
  return stored;
}

/** The text git stores in place of an LFS file. */
function lfsPointer(file: { sha256: string; content: Buffer }): Buffer {
  return Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${file.sha256}\nsize ${file.content.length}\n`);
}

function header(request: IncomingMessage, name: string): string | null {
  const value = request.headers[name];
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
