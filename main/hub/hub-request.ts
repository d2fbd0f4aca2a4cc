// One HTTP request to the Hub, as huggingface_hub makes it: the token only to the endpoint's own
// origin, redirects followed by hand (so the token is dropped on a hop to another origin, e.g.
// the CDN the Hub sends large files to), and the Hub's error answers turned into HubErrors that
// say what to do. The first response's X-Repo-Commit, ETag and X-Linked-* headers are kept:
// the Hub sends them on the redirect, the CDN does not.
import type { HubEndpoint } from './hub-endpoint.ts';
import { HubError } from './hub-error.ts';

const MAX_REDIRECTS = 10;

export interface HubResponse {
  /** The final response (after the redirects). */
  response: Response;
  /** The address that gave it. */
  url: string;
  /** The commit the Hub resolved the revision to (X-Repo-Commit of any hop), if it said. */
  commit: string | null;
  /** The file's ETag as the Hub gave it (X-Linked-Etag on a redirect, else ETag), quotes and W/ removed. */
  etag: string | null;
  /** The file's size as the Hub gave it on a redirect (X-Linked-Size), else null. */
  linkedSize: number | null;
}

export interface HubRequestOptions {
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** What is being fetched, for error messages: e.g. "model info", "config.json". */
  what: string;
  /** The repository, for error messages. */
  repo?: string;
}

/** Fetches `url` following redirects; a non-2xx answer (other than a redirect) throws a HubError. */
export async function hubRequest(endpoint: HubEndpoint, url: string, options: HubRequestOptions): Promise<HubResponse> {
  let current = url;
  let commit: string | null = null;
  let etag: string | null = null;
  let linkedSize: number | null = null;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    let response: Response;
    try {
      response = await fetch(current, {
        method: options.method ?? 'GET',
        headers: endpoint.headersFor(current, options.headers),
        redirect: 'manual',
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw new HubError('aborted', `Fetching ${options.what} was stopped.`);
      throw new HubError('network', `Could not reach ${new URL(current).origin} for ${options.what} (${describeNetworkError(error)}). Check the connection (and HF_ENDPOINT or the Hub setting) and try again.`);
    }
    commit ??= response.headers.get('x-repo-commit');
    etag ??= cleanEtag(response.headers.get('x-linked-etag') ?? response.headers.get('etag'));
    const size = response.headers.get('x-linked-size');
    if (linkedSize === null && size !== null && /^\d+$/.test(size)) linkedSize = Number(size);
    if (response.status >= 300 && response.status < 400 && response.headers.has('location')) {
      await response.body?.cancel();
      current = new URL(response.headers.get('location')!, current).toString();
      continue;
    }
    if (!response.ok) {
      const body = await response.text().catch(() => '');
      if ((response.status === 401 || response.status === 403) && new URL(current).origin !== endpoint.origin) {
        // The CDN refusing its signed address (expired while a download waited): asking the Hub again gets a fresh one.
        throw new HubError('network', `${new URL(current).origin} refused the download address of ${options.what} (${response.status}); asking the Hub for a new one`, response.status);
      }
      throw hubErrorFor(endpoint, response.status, response.headers.get('x-error-code'), body, options);
    }
    return { response, url: current, commit, etag, linkedSize };
  }
  throw new HubError('bad-response', `The Hub redirected ${options.what} more than ${MAX_REDIRECTS} times; try again later.`);
}

/** The HubError for an error answer, by huggingface_hub's X-Error-Code where the Hub sends one, else by status. */
export function hubErrorFor(endpoint: HubEndpoint, status: number, errorCode: string | null, body: string, options: { what: string; repo?: string }): HubError {
  const repo = options.repo;
  const detail = hubMessage(body);
  const page = repo ? endpoint.repoPage(repo) : endpoint.url;
  if (errorCode === 'GatedRepo' || ((status === 401 || status === 403) && errorCode !== 'RepoNotFound')) {
    const gate = endpoint.hasToken
      ? `The token given does not grant access to ${repo ?? 'it'}: accept the model's licence at ${page} with the account the token belongs to (or check the token), then try again.`
      : `${repo ?? 'It'} is gated or private: accept its licence at ${page}, then give a Hugging Face access token (HF_TOKEN, or the Hub setting) and try again.`;
    return new HubError('needs-token', `Cannot fetch ${options.what}: ${gate}`, status);
  }
  if (errorCode === 'RevisionNotFound') return new HubError('not-found', `${repo ?? 'The repository'} has no such revision (${detail || 'not found'}); check --revision (a branch, tag or commit).`, status);
  if (errorCode === 'EntryNotFound') return new HubError('not-found', `${options.what} is not in ${repo ?? 'the repository'} at that revision.`, status);
  if (errorCode === 'RepoNotFound' || status === 404) {
    const hint = endpoint.hasToken ? '' : ' If it is private, give an access token (HF_TOKEN, or the Hub setting).';
    return new HubError('not-found', `${repo ? `The model repository ${repo}` : options.what} was not found on ${endpoint.url}; check the name (organisation/model).${hint}`, status);
  }
  if (status === 429) return new HubError('server', `The Hub is limiting requests (429) for ${options.what}; wait a minute and try again.`, status);
  if (status >= 500) return new HubError('server', `The Hub answered ${status} for ${options.what}${detail ? ` (${detail})` : ''}; try again later.`, status);
  return new HubError('bad-response', `The Hub answered ${status} for ${options.what}${detail ? `: ${detail}` : ''}.`, status);
}

/** The `error` field of the Hub's JSON error bodies, or the start of a text one. */
function hubMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error.slice(0, 200);
  } catch {
    // not JSON
  }
  return body.trim().slice(0, 200);
}

/** An ETag without W/ and quotes: the Hub's is the git blob sha1, or the sha256 for LFS files. */
export function cleanEtag(etag: string | null): string | null {
  if (!etag) return null;
  return etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

/** The useful part of Node fetch's network errors ("fetch failed" hides the cause). */
export function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
  }
  return error.message;
}
