// The Hub's model API, the part huggingface_hub uses to search and download: search, a model's
// info (its commit sha, files and whether it is gated), its file tree at a commit (sizes and
// checksums), and a small JSON file of it (config.json, the safetensors index). Every answer is
// checked with zod, so a mirror or a changed API gives a clear error instead of a wrong download.
import { z } from 'zod';
import type { HubEndpoint } from './hub-endpoint.ts';
import { HubError } from './hub-error.ts';
import { hubRequest } from './hub-request.ts';

export type HubSort = 'downloads' | 'likes' | 'lastModified' | 'trendingScore';

export interface SearchModelsInput {
  search: string;
  /** At most this many results (the Hub caps it at 1000); default 20. */
  limit?: number;
  /** Most first; default downloads. */
  sort?: HubSort;
  /** The pipeline tag to keep; default text-generation. */
  filter?: string;
}

const SearchResult = z.object({
  id: z.string(),
  downloads: z.number().default(0),
  likes: z.number().default(0),
  private: z.boolean().default(false),
  gated: z.union([z.boolean(), z.string()]).optional(),
  pipeline_tag: z.string().optional(),
  library_name: z.string().optional(),
  tags: z.array(z.string()).default([]),
  lastModified: z.string().optional(),
  createdAt: z.string().optional(),
});

export interface HubModelSummary {
  /** "organisation/name" */
  id: string;
  downloads: number;
  likes: number;
  private: boolean;
  /** Whether the repo asks people to accept its licence before downloading ('auto' or 'manual' approval). */
  gated: boolean;
  pipelineTag: string | null;
  libraryName: string | null;
  tags: string[];
  lastModified: string | null;
}

const Sibling = z.object({ rfilename: z.string(), size: z.number().optional() });

const ModelInfoResponse = z.object({
  id: z.string(),
  sha: z.string().regex(/^[0-9a-f]{40}$/, 'a 40-character commit sha'),
  private: z.boolean().default(false),
  // false, or "auto" / "manual" (how the licence is approved); older answers say true.
  gated: z.union([z.literal(false), z.literal(true), z.literal('auto'), z.literal('manual')]).default(false),
  disabled: z.boolean().optional(),
  downloads: z.number().default(0),
  likes: z.number().default(0),
  pipeline_tag: z.string().optional(),
  library_name: z.string().optional(),
  tags: z.array(z.string()).default([]),
  lastModified: z.string().optional(),
  siblings: z.array(Sibling).default([]),
  safetensors: z.object({ parameters: z.record(z.string(), z.number()), total: z.number() }).optional(),
  gguf: z.object({ total: z.number().optional(), architecture: z.string().optional(), context_length: z.number().optional() }).loose().optional(),
});

export interface HubModelInfo {
  id: string;
  /** The commit the revision points at. */
  sha: string;
  private: boolean;
  gated: false | 'auto' | 'manual';
  downloads: number;
  likes: number;
  pipelineTag: string | null;
  libraryName: string | null;
  tags: string[];
  lastModified: string | null;
  /** The repository's files by name (sizes only where the Hub sent them). */
  siblings: { path: string; size: number | null }[];
  /** Parameters per stored dtype, from the safetensors headers, where the Hub computed them. */
  safetensorsParameters: Record<string, number> | null;
}

const TreeEntryResponse = z.object({
  type: z.enum(['file', 'directory']),
  path: z.string(),
  size: z.number().int().nonnegative().default(0),
  oid: z.string(),
  lfs: z.object({ oid: z.string().regex(/^[0-9a-f]{64}$/, 'a sha256'), size: z.number().int().nonnegative(), pointerSize: z.number().optional() }).optional(),
});

export interface HubTreeFile {
  /** The path in the repository, '/'-separated. */
  path: string;
  size: number;
  /** The git blob sha1 (of the LFS pointer, for an LFS file). */
  gitOid: string;
  /** The sha256 of the content, for a file stored in LFS (every large file); null for a small one. */
  sha256: string | null;
}

/** "organisation/name": letters, digits, '-', '_', '.'; no '..' and no leading or trailing separator. */
const REPO_ID = /^(?:[A-Za-z0-9][A-Za-z0-9._-]*\/)?[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A repository id as the Hub spells one, else an error saying how to write it. */
export function checkRepoId(repo: string): string {
  if (!REPO_ID.test(repo) || repo.includes('..') || repo.length > 96) {
    throw new HubError('not-found', `'${repo}' is not a model repository id; write it as organisation/name, e.g. Qwen/Qwen2.5-0.5B-Instruct.`);
  }
  return repo;
}

export class HubClient {
  readonly endpoint: HubEndpoint;

  constructor(endpoint: HubEndpoint) {
    this.endpoint = endpoint;
  }

  /** GET /api/models?search=&filter=text-generation&sort=downloads&direction=-1&limit= */
  async searchModels(input: SearchModelsInput, signal?: AbortSignal): Promise<HubModelSummary[]> {
    const query = new URLSearchParams({
      search: input.search,
      filter: input.filter ?? 'text-generation',
      sort: input.sort ?? 'downloads',
      direction: '-1',
      limit: String(Math.max(1, Math.min(1000, Math.floor(input.limit ?? 20)))),
    });
    const results = await this.getJson(`/api/models?${query}`, z.array(SearchResult), { what: `the search for '${input.search}'`, signal });
    return results.map((r) => ({
      id: r.id,
      downloads: r.downloads,
      likes: r.likes,
      private: r.private,
      gated: r.gated !== undefined && r.gated !== false && r.gated !== 'false',
      pipelineTag: r.pipeline_tag ?? null,
      libraryName: r.library_name ?? null,
      tags: r.tags,
      lastModified: r.lastModified ?? r.createdAt ?? null,
    }));
  }

  /** GET /api/models/{repo} or /api/models/{repo}/revision/{revision}: the commit sha, files and gating. */
  async modelInfo(repo: string, revision?: string, signal?: AbortSignal): Promise<HubModelInfo> {
    checkRepoId(repo);
    const path = revision === undefined ? `/api/models/${repo}` : `/api/models/${repo}/revision/${encodeURIComponent(revision)}`;
    const info = await this.getJson(path, ModelInfoResponse, { what: `the model info of ${repo}`, repo, signal });
    return {
      id: info.id,
      sha: info.sha,
      private: info.private,
      gated: info.gated === true ? 'auto' : info.gated,
      downloads: info.downloads,
      likes: info.likes,
      pipelineTag: info.pipeline_tag ?? null,
      libraryName: info.library_name ?? null,
      tags: info.tags,
      lastModified: info.lastModified ?? null,
      siblings: info.siblings.map((s) => ({ path: s.rfilename, size: s.size ?? null })),
      safetensorsParameters: info.safetensors?.parameters ?? null,
    };
  }

  /**
   * GET /api/models/{repo}/tree/{commit}?recursive=1: every file with its size and checksums,
   * following the Hub's pagination (a Link header with rel="next").
   */
  async listFiles(repo: string, commit: string, signal?: AbortSignal): Promise<HubTreeFile[]> {
    checkRepoId(repo);
    const files: HubTreeFile[] = [];
    let next: string | null = this.endpoint.address(`/api/models/${repo}/tree/${encodeURIComponent(commit)}?recursive=1`);
    for (let page = 0; next !== null; page++) {
      if (page > 1000) throw new HubError('bad-response', `The file list of ${repo} did not end after 1000 pages.`);
      const { response } = await hubRequest(this.endpoint, next, { what: `the file list of ${repo}`, repo, signal });
      const entries = parseJson(await response.text(), z.array(TreeEntryResponse), `the file list of ${repo}`);
      for (const entry of entries) {
        if (entry.type !== 'file') continue;
        files.push({ path: entry.path, size: entry.lfs?.size ?? entry.size, gitOid: entry.oid, sha256: entry.lfs?.oid ?? null });
      }
      next = nextPage(response.headers.get('link'), next);
    }
    return files;
  }

  /** The address of a file at a commit: /{repo}/resolve/{commit}/{path}. */
  resolveUrl(repo: string, commit: string, path: string): string {
    const encodedPath = path.split('/').map(encodeURIComponent).join('/');
    return this.endpoint.address(`/${repo}/resolve/${encodeURIComponent(commit)}/${encodedPath}`);
  }

  /** A small JSON file of the repository (config.json, model.safetensors.index.json), parsed with `schema`. */
  async readJsonFile<T>(repo: string, revision: string, path: string, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T> {
    checkRepoId(repo);
    const { response } = await hubRequest(this.endpoint, this.resolveUrl(repo, revision, path), { what: path, repo, signal });
    return parseJson(await response.text(), schema, `${path} of ${repo}`);
  }

  private async getJson<T>(path: string, schema: z.ZodType<T>, options: { what: string; repo?: string; signal?: AbortSignal }): Promise<T> {
    const { response } = await hubRequest(this.endpoint, this.endpoint.address(path), options);
    return parseJson(await response.text(), schema, options.what);
  }
}

function parseJson<T>(text: string, schema: z.ZodType<T>, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HubError('bad-response', `The Hub sent ${what} as something other than JSON; is HF_ENDPOINT (or the Hub setting) a Hugging Face Hub?`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HubError('bad-response', `The Hub sent ${what} in a form Hearth does not know (${issue.path.join('.') || 'the answer'}: ${issue.message}).`);
  }
  return parsed.data;
}

/** The rel="next" address of a Link header, resolved against the page it came with. */
function nextPage(link: string | null, current: string): string | null {
  if (!link) return null;
  for (const part of link.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match) return new URL(match[1], current).toString();
  }
  return null;
}
