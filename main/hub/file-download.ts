// One file from the Hub, downloaded so that nothing received is lost and nothing wrong is kept:
//   - the bytes go to `<file>.part`, beside a `<file>.part.json` sidecar naming what they are
//     (address, ETag, size, commit); a later attempt, or a later process after a crash or a
//     kill, carries on from the part's size with a Range request when the sidecar still matches;
//   - a dropped connection, a server error (5xx, 429) or a stall (no bytes for a while) is
//     retried with a growing pause, from where it stopped; the retries start over while bytes
//     keep coming, so a long download over a poor connection is not given up on;
//   - the whole file is checked against the Hub's checksum (sha256 for LFS files, the git blob
//     sha1 for small ones) before it is renamed into place; a mismatch fetches it once more from
//     the start, and a second mismatch is an error that says so (the part is removed);
//   - the AbortSignal pauses: the part and its sidecar stay for the next attempt.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { PlannedFile } from './download-plan.ts';
import type { HubEndpoint } from './hub-endpoint.ts';
import { HubError } from './hub-error.ts';
import { describeNetworkError, hubRequest } from './hub-request.ts';

export interface RetryPolicy {
  /** Attempts after the first that received no byte, before giving up. */
  retries: number;
  /** The first pause between attempts; each further one doubles, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** No byte for this long during a transfer: the connection is dropped and the transfer retried. */
  stallTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 5, baseDelayMs: 1000, maxDelayMs: 30_000, stallTimeoutMs: 30_000 };

/** The sidecar beside a `.part` file: the part holds the start of exactly this. */
const PartSidecar = z.object({
  url: z.string(),
  etag: z.string().nullable(),
  size: z.number().int().nonnegative(),
  commit: z.string(),
});
type PartSidecar = z.infer<typeof PartSidecar>;

export interface FileDownloadInput {
  endpoint: HubEndpoint;
  /** The file's address at the pinned commit: /{repo}/resolve/{commit}/{path}. */
  url: string;
  repo: string;
  commit: string;
  file: PlannedFile;
  /** Where the verified file ends up. */
  target: string;
  signal?: AbortSignal;
  /** The bytes of this file on disk so far (its part, or its size once done); may go down when a part is discarded. */
  onProgress?(bytesOnDisk: number): void;
  /** Each retry, with why, for the progress display (never carries the token). */
  onRetry?(reason: string, attempt: number, delayMs: number): void;
  policy?: Partial<RetryPolicy>;
}

export function partPath(target: string): string {
  return `${target}.part`;
}

export function sidecarPath(target: string): string {
  return `${target}.part.json`;
}

/** Removes a file's part and sidecar (cancel). */
export async function removeParts(target: string): Promise<void> {
  await rm(partPath(target), { force: true });
  await rm(sidecarPath(target), { force: true });
}

/** Bytes already in the file's part (or the file itself, when done). */
export async function bytesOnDisk(target: string, size: number): Promise<number> {
  const done = await stat(target).catch(() => null);
  if (done?.isFile() && done.size === size) return size;
  return (await stat(partPath(target)).catch(() => null))?.size ?? 0;
}

/** Downloads, verifies and renames one file into place; a file already in place at its size is kept. */
export async function downloadFile(input: FileDownloadInput): Promise<void> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...input.policy };
  const { file, target } = input;
  const existing = await stat(target).catch(() => null);
  if (existing?.isFile() && existing.size === file.size) {
    input.onProgress?.(file.size);
    return;
  }
  await mkdir(dirname(target), { recursive: true });
  await discardStalePart(input);

  let mismatches = 0;
  for (;;) {
    await transfer(input, policy);
    if (await matchesChecksum(partPath(target), file)) break;
    mismatches++;
    await removeParts(target);
    input.onProgress?.(0);
    if (mismatches >= 2) {
      throw new HubError('integrity', `${file.path} of ${input.repo} arrived damaged twice (its ${file.sha256 ? 'sha256' : 'git checksum'} does not match the Hub's); the download was removed. Try again later; if it keeps happening, a proxy or mirror may be altering files.`);
    }
    input.onRetry?.(`${file.path} did not match its checksum; fetching it again`, mismatches, 0);
  }
  await rename(partPath(target), target);
  await rm(sidecarPath(target), { force: true });
  input.onProgress?.(file.size);
}

/** A part whose sidecar does not describe this file at this commit (or that is too long) starts over. */
async function discardStalePart(input: FileDownloadInput): Promise<void> {
  const part = await stat(partPath(input.target)).catch(() => null);
  if (!part) return;
  const sidecar = await readSidecar(input.target);
  const current = sidecar !== null && sidecar.url === input.url && sidecar.commit === input.commit && sidecar.size === input.file.size;
  if (!current || part.size > input.file.size) await removeParts(input.target);
}

async function readSidecar(target: string): Promise<PartSidecar | null> {
  try {
    return PartSidecar.parse(JSON.parse(await readFile(sidecarPath(target), 'utf8')));
  } catch {
    return null;
  }
}

/** Gets the part to the file's full size, resuming and retrying; returns when the part is complete. */
async function transfer(input: FileDownloadInput, policy: RetryPolicy): Promise<void> {
  let failures = 0;
  for (;;) {
    const before = await bytesOnDisk(input.target, input.file.size);
    if (before === input.file.size && (await stat(partPath(input.target)).catch(() => null))) return;
    try {
      await attempt(input, policy);
      return;
    } catch (error) {
      if (input.signal?.aborted) throw new HubError('aborted', `The download of ${input.file.path} was stopped; its part is kept to resume.`);
      if (!isRetryable(error)) throw error;
      const after = await bytesOnDisk(input.target, input.file.size);
      failures = after > before ? 1 : failures + 1; // bytes came: the connection works, start counting again
      if (failures > policy.retries) {
        const why = error instanceof Error ? error.message : String(error);
        const kind = error instanceof HubError && error.kind === 'server' ? 'server' : 'network';
        throw new HubError(kind, `Downloading ${input.file.path} of ${input.repo} failed ${failures} times in a row (${why}); ${after} of ${input.file.size} bytes are kept, and running the download again resumes from there.`);
      }
      const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failures - 1));
      input.onRetry?.(error instanceof Error ? error.message : String(error), failures, delay);
      try {
        await sleep(delay, undefined, { signal: input.signal });
      } catch {
        throw new HubError('aborted', `The download of ${input.file.path} was stopped; its part is kept to resume.`);
      }
    }
  }
}

/** A dropped connection, a stall, a server error or a rate limit: worth another try. */
function isRetryable(error: unknown): boolean {
  if (error instanceof StallError) return true;
  if (error instanceof HubError) return error.kind === 'network' || error.kind === 'server';
  return error instanceof Error; // a body cut off mid-way (undici's "terminated"), a reset socket
}

class StallError extends Error {
  override name = 'StallError';
}

/** One request from the part's size to the end, appending to the part. */
async function attempt(input: FileDownloadInput, policy: RetryPolicy): Promise<void> {
  const { target, file } = input;
  const offset = (await stat(partPath(target)).catch(() => null))?.size ?? 0;
  const stall = new AbortController();
  const signal = input.signal ? AbortSignal.any([input.signal, stall.signal]) : stall.signal;
  let stallTimer = setTimeout(() => stall.abort(), policy.stallTimeoutMs);
  const resetStallTimer = () => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => stall.abort(), policy.stallTimeoutMs);
  };
  try {
    const headers: Record<string, string> = offset > 0 ? { Range: `bytes=${offset}-` } : {};
    let answer;
    try {
      answer = await hubRequest(input.endpoint, input.url, { what: file.path, repo: input.repo, headers, signal });
    } catch (error) {
      if (stall.signal.aborted && !input.signal?.aborted) throw new StallError(`no answer for ${policy.stallTimeoutMs / 1000} s`);
      if (error instanceof HubError && error.status === 416) {
        // The part is no prefix the server knows: start over.
        await removeParts(target);
        throw new HubError('network', `the server refused to resume ${file.path} from byte ${offset}; starting it over`);
      }
      throw error;
    }
    const { response } = answer;
    if (answer.commit && answer.commit !== input.commit) {
      await response.body?.cancel();
      throw new HubError('bad-response', `The Hub served ${file.path} from commit ${answer.commit} when ${input.commit} was asked for; try again.`);
    }
    const sidecar = await readSidecar(target);
    // A 200 to a Range request is the whole file (a server without Range support): it replaces the part.
    const start = response.status === 206 ? offset : 0;
    const changed = offset > 0 && sidecar?.etag && answer.etag && sidecar.etag !== answer.etag;
    if ((response.status === 206 && !contentRangeStartsAt(response.headers.get('content-range'), offset)) || changed) {
      // Not the rest of what the part holds: the part is no use.
      await response.body?.cancel();
      await removeParts(target);
      throw new HubError('network', `the server did not send the rest of the ${offset} bytes kept of ${file.path}; starting it over`);
    }
    await writeFile(sidecarPath(target), JSON.stringify({ url: input.url, etag: answer.etag, size: file.size, commit: input.commit } satisfies PartSidecar));
    const handle = await open(partPath(target), start === 0 ? 'w' : 'a');
    let written = start;
    input.onProgress?.(written);
    try {
      if (!response.body) throw new HubError('bad-response', `The Hub sent no body for ${file.path}.`);
      const reader = response.body.getReader();
      for (;;) {
        let chunk: { done: true; value?: undefined } | { done: false; value: Uint8Array };
        try {
          chunk = await reader.read();
        } catch (error) {
          if (stall.signal.aborted && !input.signal?.aborted) throw new StallError(`no bytes for ${policy.stallTimeoutMs / 1000} s`);
          throw new HubError('network', `the connection dropped after ${written} of ${file.size} bytes (${describeNetworkError(error)})`);
        }
        if (chunk.done) break;
        resetStallTimer();
        if (written + chunk.value.byteLength > file.size) {
          await reader.cancel();
          await handle.truncate(0);
          throw new HubError('network', `the server sent more than the ${file.size} bytes of ${file.path}`);
        }
        await handle.write(chunk.value);
        written += chunk.value.byteLength;
        input.onProgress?.(written);
      }
    } finally {
      await handle.close();
    }
    if (written < file.size) throw new HubError('network', `the connection ended after ${written} of ${file.size} bytes`);
  } finally {
    clearTimeout(stallTimer);
  }
}

function contentRangeStartsAt(contentRange: string | null, offset: number): boolean {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(contentRange ?? '');
  return match !== null && Number(match[1]) === offset;
}

/** Whether the file's bytes are the Hub's: sha256 for LFS files, else the git blob sha1 ("blob <size>\0" + content). */
export async function matchesChecksum(path: string, file: PlannedFile): Promise<boolean> {
  const size = (await stat(path)).size;
  if (size !== file.size) return false;
  let hash: Hash;
  if (file.sha256) hash = createHash('sha256');
  else {
    hash = createHash('sha1');
    hash.update(`blob ${size}\0`);
  }
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex') === (file.sha256 ?? file.gitOid);
}
