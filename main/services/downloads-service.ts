// Downloads from the Hugging Face Hub as the app runs them: each is a job in SQLite (kind
// 'download' in the jobs table, downloads-repository.ts), its files fetched by main/hub's
// downloadRepo into <dataDir>/downloads/<owner>/<name>/ (a GGUF file picked from a repo into a
// folder of its own below that), pinned to one commit, each file verified before it is renamed
// into place. Once every file is verified the model is imported into the library exactly as the
// Models page imports a folder or a GGUF file (read where it is), and the job is completed.
//
// Nothing fetched is lost to a stop: pause aborts the transfer and keeps the .part files; a
// download the app left 'running' (it closed, or crashed) is 'paused' at the next start; resume
// calls downloadRepo on the same folder, which carries on with Range requests from the parts and
// the commit recorded there. A failure after the retries is 'failed' with the reason, and
// resumable the same way. Cancel removes the parts and whatever the download fetched.
import { join, posix } from 'node:path';
import { ApiError } from '../common/contracts/api-error.ts';
import type { Download, DownloadProgress, DownloadState, StartDownloadInputSchema } from '../common/contracts/hub.ts';
import type { ImportModelInput, ModelSummary } from '../common/contracts/models.ts';
import type { HubEndpoint } from '../hub/hub-endpoint.ts';
import type { RetryPolicy } from '../hub/file-download.ts';
import { downloadRepo, removeRepoDownload, type DownloadRepoInput, type RepoDownloadProgress, type RepoDownloadResult } from '../hub/repo-download.ts';
import type { DownloadRecord } from '../store/downloads-repository.ts';
import type { Store } from '../store/store.ts';
import type { z } from 'zod';
import type { EventBus } from './event-bus.ts';
import { ggufQuantizationOf } from './hub-service.ts';
import { isInside } from './model-folder-check.ts';
import { downloadDir, downloadsRoot } from './model-paths.ts';

/** How often the bytes fetched are written to the store while a download runs (the events carry every report). */
const STORE_PROGRESS_INTERVAL_MS = 1000;

export interface DownloadsDependencies {
  store: Store;
  dataDir: string;
  bus: EventBus;
  /** The library's import (LibraryService.importModel): a folder, or a GGUF file read where it is. */
  importModel(input: ImportModelInput): Promise<ModelSummary>;
  /** The Hub and token in use now (HubSettingsService.endpoint). */
  endpoint(): HubEndpoint;
  /** main/hub's downloadRepo; tests may wrap it. */
  downloadRepo?: (input: DownloadRepoInput) => Promise<RepoDownloadResult>;
  /** Retries and stall detection (tests shorten them). */
  policy?: Partial<RetryPolicy>;
}

interface ActiveDownload {
  jobId: string;
  controller: AbortController;
  /** Set when the transfer was aborted on purpose, and why. */
  stopping: 'pause' | 'cancel' | 'close' | null;
  importing: boolean;
  progress: DownloadProgress;
  storedAt: number;
  /** Settles once the download is recorded in the state it ended in. */
  done: Promise<void>;
}

export class DownloadsService {
  private readonly deps: DownloadsDependencies;
  private readonly download: (input: DownloadRepoInput) => Promise<RepoDownloadResult>;
  private readonly active = new Map<string, ActiveDownload>();
  private closing = false;
  /** How many downloads were found 'running' at start-up (cut off by a close or a crash) and are now paused. */
  readonly interruptedAtStart: number;

  constructor(deps: DownloadsDependencies) {
    this.deps = deps;
    this.download = deps.downloadRepo ?? downloadRepo;
    this.interruptedAtStart = this.pauseInterrupted();
  }

  list(): Download[] {
    return this.deps.store.downloads.list().map((record) => this.downloadOf(record));
  }

  get(jobId: string): Download {
    return this.downloadOf(this.require(jobId));
  }

  /**
   * Starts downloading a repo, or the one file asked for. The same repo and file already being
   * downloaded is answered with that download (resumed when it was paused or had failed): two
   * transfers never write the same parts.
   */
  start(input: z.infer<typeof StartDownloadInputSchema>): Download {
    if (this.closing) throw new ApiError('busy', 'Hearth is closing; start the download after the next start.');
    const revision = input.revision ?? 'main';
    const file = input.file ?? null;
    const existing = this.deps.store.downloads
      .list()
      .find((d) => d.repo === input.repo && d.revision === revision && d.file === file && (d.state === 'running' || d.state === 'paused' || d.state === 'failed'));
    if (existing) return existing.state === 'running' ? this.downloadOf(existing) : this.resume(existing.id);
    const record = this.deps.store.downloads.create({ repo: input.repo, revision, file, destDir: destDirOf(this.deps.dataDir, input.repo, file) });
    this.run(record);
    this.changed(record.id);
    return this.get(record.id);
  }

  /** Stops the transfer; its .part files stay, and resume continues from them. */
  async pause(jobId: string): Promise<Download> {
    const record = this.require(jobId);
    const active = this.active.get(jobId);
    if (active) {
      if (active.importing) throw new ApiError('busy', `${record.repo} is downloaded and being added to the library; it cannot be paused now.`);
      active.stopping = 'pause';
      active.controller.abort();
      await active.done;
    } else if (record.state !== 'paused') {
      throw new ApiError('invalid-input', `The download of ${record.repo} is ${record.state}; only a running download can be paused.`);
    }
    return this.get(jobId);
  }

  /** Continues a paused or failed download from its .part files, at the commit it was pinned to. */
  resume(jobId: string): Download {
    const record = this.require(jobId);
    if (this.active.has(jobId)) return this.get(jobId);
    if (record.state !== 'paused' && record.state !== 'failed') {
      throw new ApiError('invalid-input', `The download of ${record.repo} is ${record.state}; only a paused or failed download can be resumed.`);
    }
    if (this.closing) throw new ApiError('busy', 'Hearth is closing; resume the download after the next start.');
    const running = this.deps.store.downloads.update(jobId, 'running', { error: null })!;
    this.run(running);
    this.changed(jobId);
    return this.get(jobId);
  }

  /** Stops the download and removes what it fetched (its parts and files); a completed one is the library's to delete. */
  async cancel(jobId: string): Promise<Download> {
    const record = this.require(jobId);
    if (record.state === 'completed') {
      throw new ApiError('invalid-input', `${record.repo} is downloaded and in the library; delete it on the Models page instead.`);
    }
    const active = this.active.get(jobId);
    if (active) {
      if (active.importing) throw new ApiError('busy', `${record.repo} is downloaded and being added to the library; it cannot be cancelled now.`);
      active.stopping = 'cancel';
      active.controller.abort();
      await active.done;
    }
    if (record.state !== 'cancelled') {
      // Only ever below <dataDir>/downloads: the folder comes from the store, but a path is checked before files are removed.
      const root = downloadsRoot(this.deps.dataDir);
      if (!isInside(root, record.destDir) || record.destDir === root) {
        throw new ApiError('internal', `Refusing to remove ${record.destDir}: it is not inside ${root}.`);
      }
      await removeRepoDownload(record.destDir);
      this.deps.store.downloads.updateProgress(jobId, 0);
      this.deps.store.downloads.update(jobId, 'cancelled', { error: null });
      this.changed(jobId);
    }
    return this.get(jobId);
  }

  /**
   * The library deleted a model: the files its download fetched (Hearth's own, under
   * <dataDir>/downloads) go with it, and its download stays in the list as cancelled.
   */
  async forgetModel(modelId: string): Promise<void> {
    for (const record of this.deps.store.downloads.list()) {
      if (record.modelId !== modelId || record.state !== 'completed') continue;
      const root = downloadsRoot(this.deps.dataDir);
      if (!isInside(root, record.destDir) || record.destDir === root) continue;
      await removeRepoDownload(record.destDir);
      this.deps.store.downloads.update(record.id, 'cancelled', { error: null, modelId: null });
      this.changed(record.id);
    }
  }

  /** Pauses every running transfer (recorded 'paused', resumable at the next start); an import under way finishes. */
  async close(): Promise<void> {
    this.closing = true;
    const running = [...this.active.values()];
    for (const active of running) {
      if (active.importing) continue;
      active.stopping = 'close';
      active.controller.abort();
    }
    await Promise.all(running.map((active) => active.done));
  }

  // ---- running downloads ----

  private run(record: DownloadRecord): void {
    const controller = new AbortController();
    const active: ActiveDownload = {
      jobId: record.id,
      controller,
      stopping: null,
      importing: false,
      progress: storedProgress(record),
      storedAt: 0,
      done: Promise.resolve(),
    };
    this.active.set(record.id, active);
    active.done = this.transfer(record, active).finally(() => {
      this.active.delete(record.id);
      this.changed(record.id);
    });
  }

  private async transfer(record: DownloadRecord, active: ActiveDownload): Promise<void> {
    const { store } = this.deps;
    try {
      const result = await this.download({
        endpoint: this.deps.endpoint(),
        repo: record.repo,
        revision: record.revision,
        ...(record.commit ? { commit: record.commit } : {}),
        ...(record.file ? { files: [record.file] } : {}),
        destDir: record.destDir,
        signal: active.controller.signal,
        onProgress: (progress) => this.onProgress(record.id, active, progress),
        ...(this.deps.policy ? { policy: this.deps.policy } : {}),
      });
      active.importing = true;
      active.progress = { ...active.progress, bytesPerSecond: null, etaMs: 0, retrying: null };
      store.downloads.update(record.id, 'running', { commit: result.commit });
      store.downloads.updateProgress(record.id, active.progress.doneBytes, active.progress.totalBytes);
      this.emitProgress(record.id);
      const model = await this.deps.importModel({ path: result.importPath, name: modelNameOf(record) });
      store.downloads.update(record.id, 'completed', { modelId: model.id, error: null });
    } catch (error) {
      store.downloads.updateProgress(record.id, active.progress.doneBytes, active.progress.totalBytes);
      if (active.stopping === 'cancel') return; // cancel() removes the files and records it
      if (active.stopping === 'pause' || active.stopping === 'close') {
        store.downloads.update(record.id, 'paused', { error: null });
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      const why = active.importing ? `Every file was downloaded and verified, but the model could not be added to the library: ${message}` : message;
      store.downloads.update(record.id, 'failed', { error: why });
    }
  }

  private onProgress(jobId: string, active: ActiveDownload, progress: RepoDownloadProgress): void {
    active.progress = {
      doneBytes: progress.doneBytes,
      totalBytes: progress.totalBytes,
      bytesPerSecond: progress.bytesPerSecond > 0 ? progress.bytesPerSecond : null,
      etaMs: progress.etaSeconds === null ? null : Math.round(progress.etaSeconds * 1000),
      files: progress.files.map((f) => ({ path: f.path, doneBytes: f.doneBytes, totalBytes: f.size, state: f.state })),
      retrying: progress.retrying,
    };
    const { store } = this.deps;
    const record = store.downloads.get(jobId);
    // The commit is recorded as soon as downloadRepo pinned it: a resume asks for that commit, never the branch again.
    if (record && record.commit === null) store.downloads.update(jobId, record.state, { commit: progress.commit });
    const now = Date.now();
    if (now - active.storedAt >= STORE_PROGRESS_INTERVAL_MS) {
      active.storedAt = now;
      store.downloads.updateProgress(jobId, progress.doneBytes, progress.totalBytes);
    }
    this.emitProgress(jobId);
  }

  /** A download the app left 'running' was cut off when it last stopped: it is paused, and resumes from its parts. */
  private pauseInterrupted(): number {
    let count = 0;
    for (const record of this.deps.store.downloads.list()) {
      if (record.state !== 'running') continue;
      this.deps.store.downloads.update(record.id, 'paused', { error: null });
      count++;
    }
    return count;
  }

  private require(jobId: string): DownloadRecord {
    const record = this.deps.store.downloads.get(jobId);
    if (!record) throw new ApiError('not-found', `There is no download ${jobId} (was it removed?).`);
    return record;
  }

  private downloadOf(record: DownloadRecord): Download {
    const active = this.active.get(record.id);
    const state: DownloadState = active?.importing ? 'importing' : record.state;
    return {
      jobId: record.id,
      repo: record.repo,
      revision: record.revision,
      commit: record.commit,
      file: record.file,
      state,
      error: record.error,
      resumable: record.state === 'paused' || record.state === 'failed',
      destDir: record.destDir,
      modelId: record.modelId,
      progress: active ? active.progress : storedProgress(record),
      createdAt: record.createdAt,
      finishedAt: record.finishedAt,
    };
  }

  private emitProgress(jobId: string): void {
    const record = this.deps.store.downloads.get(jobId);
    if (!record) return;
    const download = this.downloadOf(record);
    this.deps.bus.emit({ type: 'download.progress', jobId, state: download.state, progress: download.progress, error: download.error });
  }

  /** The download's state changed: its progress event (the state travels in it) and the lists reload. */
  private changed(jobId: string): void {
    this.emitProgress(jobId);
    this.deps.bus.emit({ type: 'downloads.changed' });
  }
}

/**
 * <dataDir>/downloads/<owner>/<name>/ for a Hugging Face folder; a GGUF file picked from a repo
 * gets a folder of its own below it (named after the file), so two quantizations of one repo,
 * each its own download, never share a download's state file or have each other's files removed.
 */
export function destDirOf(dataDir: string, repo: string, file: string | null): string {
  const dir = downloadDir(dataDir, repo);
  if (file === null) return dir;
  return join(dir, ...file.replace(/\.gguf$/i, '').split('/').filter((part) => part !== '' && part !== '.' && part !== '..'));
}

/** The library name: the repo id, and for a GGUF file its quantization (or its file name). */
function modelNameOf(record: DownloadRecord): string {
  if (record.file === null) return record.repo.slice(0, 200);
  const quantization = ggufQuantizationOf(record.file) ?? posix.basename(record.file).replace(/\.gguf$/i, '');
  return `${record.repo} ${quantization}`.slice(0, 200);
}

/** A download not running now, as the store knows it: its bytes, no speed. */
function storedProgress(record: DownloadRecord): DownloadProgress {
  return { doneBytes: record.doneBytes, totalBytes: record.totalBytes, bytesPerSecond: null, etaMs: null, files: [], retrying: null };
}
