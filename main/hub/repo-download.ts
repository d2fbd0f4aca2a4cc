// A model repository downloaded into one folder: the revision resolved to a commit once, the
// files planned (download-plan.ts), the disk space checked, then several files at a time
// (file-download.ts), with the total's progress, speed and ETA.
//
// The folder's `.hearth-download.json` records the repository, the commit and the files. Until
// the download is complete it pins the commit: a rerun (after a pause, a failure or a killed
// process) carries on from the same commit and the same file list, so a repository that changed
// in the meantime is never mixed into what is already on disk. Every file is fetched from
// /{repo}/resolve/{commit}/{file}, never from a branch name, for the same reason.
//
// Pause: abort the signal (parts stay). Resume: call downloadRepo again with the same folder.
// Cancel: abort, then removeRepoDownload(destDir).
import { mkdir, readFile, readdir, rename, rm, rmdir, statfs, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { planDownload, safetensorsIndexShards, SAFETENSORS_INDEX, type DownloadPlan, type PlannedFile, type SkippedFile } from './download-plan.ts';
import { bytesOnDisk, downloadFile, removeParts, type RetryPolicy } from './file-download.ts';
import { checkRepoId, HubClient } from './hub-client.ts';
import type { HubEndpoint } from './hub-endpoint.ts';
import { HubError } from './hub-error.ts';

/** How many files download at once (huggingface_hub's snapshot_download uses 8 workers). */
export const DEFAULT_PARALLEL_FILES = 4;

/** Free space kept beyond what the download needs, so the disk is not filled to the last byte. */
const DISK_MARGIN_BYTES = 64 * 1024 * 1024;

export const DOWNLOAD_STATE_FILE = '.hearth-download.json';

const PlannedFileSchema = z.object({ path: z.string(), size: z.number().int().nonnegative(), sha256: z.string().nullable(), gitOid: z.string() });

const DownloadState = z.object({
  repo: z.string(),
  revision: z.string(),
  commit: z.string(),
  /** The files asked for by name, if any (a rerun asking for others is a new download). */
  requested: z.array(z.string()).nullable(),
  kind: z.enum(['safetensors', 'gguf']),
  files: z.array(PlannedFileSchema),
  skipped: z.array(z.object({ path: z.string(), reason: z.string() })),
  complete: z.boolean(),
});
export type DownloadState = z.infer<typeof DownloadState>;

export type FileDownloadState = 'waiting' | 'downloading' | 'retrying' | 'done';

export interface RepoDownloadProgress {
  repo: string;
  commit: string;
  totalBytes: number;
  /** Bytes on disk, including those resumed from earlier attempts. */
  doneBytes: number;
  /** Over the last few seconds; 0 until bytes come. */
  bytesPerSecond: number;
  /** Seconds left at that speed; null while the speed is unknown. */
  etaSeconds: number | null;
  files: { path: string; size: number; doneBytes: number; state: FileDownloadState }[];
  /** The last retry's reason (a dropped connection, a stall, a checksum mismatch), until the next byte. */
  retrying: string | null;
}

export interface DownloadRepoInput {
  endpoint: HubEndpoint;
  /** "organisation/name" */
  repo: string;
  /** A branch, tag or commit; default "main". */
  revision?: string;
  /** The commit to download, already resolved by the caller (e.g. kept in a job); else pinned here. */
  commit?: string;
  /** Files asked for by name (a single .gguf picks that quantization); default: the plan's choice. */
  files?: readonly string[];
  destDir: string;
  /** Aborting pauses: the parts stay, and downloadRepo with the same destDir resumes. */
  signal?: AbortSignal;
  onProgress?(progress: RepoDownloadProgress): void;
  /** Files at once; default DEFAULT_PARALLEL_FILES. */
  parallel?: number;
  policy?: Partial<RetryPolicy>;
}

export interface RepoDownloadResult {
  repo: string;
  commit: string;
  destDir: string;
  kind: 'safetensors' | 'gguf';
  files: PlannedFile[];
  skipped: SkippedFile[];
  /** What to import into the library: the folder, or the GGUF file in it. */
  importPath: string;
  /**
   * Set when destDir already held a complete download and the revision has moved on since: the
   * commit it points at now (the folder keeps the commit it has; a new one needs a folder of its own).
   */
  revisionMovedTo: string | null;
}

/** The commit and the files a download of `repo` would fetch, without fetching them (the Discover page, the CLI's GGUF choice). */
export async function planRepoDownload(client: HubClient, repo: string, revision: string, files?: readonly string[], signal?: AbortSignal, commit?: string): Promise<{ commit: string; plan: DownloadPlan }> {
  checkRepoId(repo);
  const pinned = commit ?? (await client.modelInfo(repo, revision, signal)).sha;
  const tree = await client.listFiles(repo, pinned, signal);
  let indexShards: string[] | undefined;
  if ((!files || files.length === 0) && tree.some((file) => file.path === SAFETENSORS_INDEX)) {
    const index = await client.readJsonFile(repo, pinned, SAFETENSORS_INDEX, z.object({ weight_map: z.record(z.string(), z.string()) }), signal);
    indexShards = safetensorsIndexShards(index);
  }
  return { commit: pinned, plan: planDownload(repo, tree, { files, indexShards }) };
}

/** Downloads (or resumes) a repository's files into destDir; resolves once every file is verified and in place. */
export async function downloadRepo(input: DownloadRepoInput): Promise<RepoDownloadResult> {
  const repo = checkRepoId(input.repo);
  const revision = input.revision ?? 'main';
  const requested = input.files && input.files.length > 0 ? [...input.files] : null;
  const destDir = resolve(input.destDir);
  await mkdir(destDir, { recursive: true });
  const client = new HubClient(input.endpoint);

  const { state: pinned, movedTo } = await pinDownload(client, destDir, repo, revision, requested, input);

  const targets = pinned.files.map((file) => ({ file, target: targetPath(destDir, file.path) }));
  const onDisk = await Promise.all(targets.map(({ file, target }) => bytesOnDisk(target, file.size)));
  await checkDiskSpace(destDir, pinned.files.reduce((left, file, i) => left + (file.size - onDisk[i]), 0));

  const progress = new ProgressTracker(repo, pinned.commit, pinned.files, onDisk, input.onProgress);
  const failure = new AbortController();
  const signal = input.signal ? AbortSignal.any([input.signal, failure.signal]) : failure.signal;
  let firstError: unknown = null;
  const queue = [...targets.keys()];
  const worker = async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      const { file, target } = targets[i];
      progress.setState(i, 'downloading');
      try {
        await downloadFile({
          endpoint: input.endpoint,
          url: client.resolveUrl(repo, pinned.commit, file.path),
          repo,
          commit: pinned.commit,
          file,
          target,
          signal,
          policy: input.policy,
          onProgress: (bytes) => progress.setBytes(i, bytes),
          onRetry: (reason) => progress.retrying(i, reason),
        });
        progress.setState(i, 'done');
      } catch (error) {
        firstError ??= error;
        failure.abort();
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(input.parallel ?? DEFAULT_PARALLEL_FILES, targets.length)) }, worker));
  progress.flush();
  if (firstError !== null) {
    if (input.signal?.aborted) throw new HubError('aborted', `The download of ${repo} was paused; ${formatSize(progress.doneBytes)} of ${formatSize(progress.totalBytes)} are kept, and resuming carries on from there.`);
    throw firstError;
  }

  pinned.complete = true;
  await writeDownloadState(destDir, pinned);
  return {
    repo,
    commit: pinned.commit,
    destDir,
    kind: pinned.kind,
    files: pinned.files,
    skipped: pinned.skipped,
    importPath: pinned.kind === 'gguf' ? targetPath(destDir, pinned.files[0].path) : destDir,
    revisionMovedTo: movedTo,
  };
}

/**
 * The download's commit and files: those recorded in destDir while it is incomplete (so a rerun
 * never mixes commits), else planned now and recorded. A complete download is checked against
 * the revision again, and kept as it is either way: files are never replaced under a model the
 * library may be reading; `movedTo` tells the caller the revision points elsewhere now.
 */
async function pinDownload(client: HubClient, destDir: string, repo: string, revision: string, requested: string[] | null, input: DownloadRepoInput): Promise<{ state: DownloadState; movedTo: string | null }> {
  const recorded = await readDownloadState(destDir);
  const same = recorded !== null && recorded.repo === repo && recorded.revision === revision && sameList(recorded.requested, requested) && (input.commit === undefined || input.commit === recorded.commit);
  if (same && (!recorded.complete || input.commit !== undefined || isCommitSha(revision))) return { state: recorded, movedTo: null };
  if (same) {
    const commit = (await client.modelInfo(repo, revision, input.signal)).sha;
    return { state: recorded, movedTo: commit === recorded.commit ? null : commit };
  }
  const { commit, plan } = await planRepoDownload(client, repo, revision, requested ?? undefined, input.signal, input.commit);
  if (plan.kind === 'gguf-choice') {
    throw new HubError('choose-file', `${repo} has ${plan.choices.length} GGUF files, one per quantization; pick one:\n${plan.choices.map((c) => `  ${c.path}  (${formatSize(c.size)})`).join('\n')}`);
  }
  const state: DownloadState = { repo, revision, commit, requested, kind: plan.kind, files: plan.files, skipped: plan.skipped, complete: false };
  await writeDownloadState(destDir, state);
  return { state, movedTo: null };
}

/** The download recorded in destDir, or null (none, or unreadable: then it starts over). */
export async function readDownloadState(destDir: string): Promise<DownloadState | null> {
  try {
    return DownloadState.parse(JSON.parse(await readFile(join(destDir, DOWNLOAD_STATE_FILE), 'utf8')));
  } catch {
    return null;
  }
}

async function writeDownloadState(destDir: string, state: DownloadState): Promise<void> {
  const file = join(destDir, DOWNLOAD_STATE_FILE);
  await writeFile(`${file}.tmp`, JSON.stringify(state, null, 1));
  await rename(`${file}.tmp`, file);
}

/**
 * Cancel: removes what a download put in destDir (its parts, sidecars, the files it fetched and
 * its state file), then destDir itself if nothing else is left in it.
 */
export async function removeRepoDownload(destDir: string): Promise<void> {
  const state = await readDownloadState(destDir);
  for (const file of state?.files ?? []) {
    const target = targetPath(destDir, file.path);
    await removeParts(target);
    await rm(target, { force: true });
  }
  // Parts of a download whose state was lost are recognised by their sidecars.
  for (const entry of await readdir(destDir, { recursive: true }).catch(() => [] as string[])) {
    if (entry.endsWith('.part.json')) await removeParts(join(destDir, entry.slice(0, -'.part.json'.length)));
  }
  await rm(join(destDir, DOWNLOAD_STATE_FILE), { force: true });
  await removeEmptyFolders(destDir);
}

async function removeEmptyFolders(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => null);
  if (!entries) return;
  for (const entry of entries) if (entry.isDirectory()) await removeEmptyFolders(join(dir, entry.name));
  await rmdir(dir).catch(() => {}); // not empty: it holds something that is not ours
}

/** A repository path under destDir; one that would leave it (.., absolute) is refused. */
function targetPath(destDir: string, path: string): string {
  const target = resolve(destDir, ...path.split('/'));
  const inside = relative(destDir, target);
  if (inside === '' || inside.startsWith('..') || inside.startsWith(sep) || path.startsWith('/')) {
    throw new HubError('bad-response', `The Hub listed a file '${path}' that would be written outside the download folder; refused.`);
  }
  return target;
}

/** Refuses to start (a HubError naming the sizes) when the disk has less free than what is left plus a margin. */
export async function checkDiskSpace(dir: string, bytesLeft: number): Promise<void> {
  if (bytesLeft <= 0) return;
  const info = await statfs(dir).catch(() => null);
  if (!info) return; // a file system that cannot say: the write itself will fail clearly
  const free = Number(info.bavail) * Number(info.bsize);
  if (free < bytesLeft + DISK_MARGIN_BYTES) {
    throw new HubError('disk-space', `Not enough disk space in ${dir}: the download needs ${formatSize(bytesLeft)} more, and ${formatSize(free)} is free. Free up ${formatSize(bytesLeft + DISK_MARGIN_BYTES - free)} (or choose another data folder) and try again; what is downloaded so far is kept.`);
  }
}

function isCommitSha(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}

function sameList(a: readonly string[] | null, b: readonly string[] | null): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}

function formatSize(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  if (bytes >= 2 ** 10) return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** Totals the files' bytes and reports progress at most every PROGRESS_INTERVAL_MS, with the speed over the last SPEED_WINDOW_MS. */
class ProgressTracker {
  private static readonly PROGRESS_INTERVAL_MS = 200;
  private static readonly SPEED_WINDOW_MS = 5000;
  private readonly files: RepoDownloadProgress['files'];
  private readonly samples: { at: number; bytes: number }[] = [];
  private lastReport = 0;
  private retry: string | null = null;
  readonly totalBytes: number;

  constructor(
    private readonly repo: string,
    private readonly commit: string,
    files: readonly PlannedFile[],
    onDisk: readonly number[],
    private readonly report: ((progress: RepoDownloadProgress) => void) | undefined,
  ) {
    this.files = files.map((file, i) => ({ path: file.path, size: file.size, doneBytes: onDisk[i], state: onDisk[i] === file.size ? 'done' : 'waiting' }));
    this.totalBytes = files.reduce((total, file) => total + file.size, 0);
    this.samples.push({ at: Date.now(), bytes: this.doneBytes });
    this.emit(true);
  }

  get doneBytes(): number {
    return this.files.reduce((total, file) => total + file.doneBytes, 0);
  }

  setBytes(i: number, bytes: number): void {
    if (bytes > this.files[i].doneBytes) this.retry = null;
    this.files[i].doneBytes = bytes;
    this.emit(false);
  }

  setState(i: number, state: FileDownloadState): void {
    this.files[i].state = state;
    this.emit(true);
  }

  retrying(i: number, reason: string): void {
    this.files[i].state = 'retrying';
    this.retry = `${this.files[i].path}: ${reason}`;
    this.emit(true);
  }

  flush(): void {
    this.emit(true);
  }

  private emit(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastReport < ProgressTracker.PROGRESS_INTERVAL_MS) return;
    this.lastReport = now;
    const done = this.doneBytes;
    this.samples.push({ at: now, bytes: done });
    while (this.samples.length > 2 && now - this.samples[1].at > ProgressTracker.SPEED_WINDOW_MS) this.samples.shift();
    const first = this.samples[0];
    const seconds = (now - first.at) / 1000;
    const speed = seconds > 0.5 ? Math.max(0, done - first.bytes) / seconds : 0;
    this.report?.({
      repo: this.repo,
      commit: this.commit,
      totalBytes: this.totalBytes,
      doneBytes: done,
      bytesPerSecond: speed,
      etaSeconds: speed > 0 ? (this.totalBytes - done) / speed : null,
      files: this.files.map((file) => ({ ...file })),
      retrying: this.retry,
    });
  }
}
