// Models from the Hugging Face Hub as the UI sees them: a search's model cards, one repo's details
// (what would be downloaded, its size per precision and fit badge on this machine, planned from
// its config.json alone before anything else is fetched; or, for a repo of GGUF files only, each
// file to pick from), the downloads (jobs that survive a restart and resume from their .part
// files), and the Hub settings (the endpoint, and the token, which never crosses to the UI whole).
import { z } from 'zod';
import { ARCHITECTURES } from '../model-spec.ts';
import { FitBadgeSchema, PrecisionPlanSchema } from '../precision-plan-contract.ts';

/** "org/name", as the Hub spells a model repo: no '..', no leading dot or dash, no other slash. */
export const HubRepoIdSchema = z
  .string()
  .trim()
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'use the repo id as the Hub shows it: owner/name')
  .refine((repo) => !repo.includes('..'), 'a repo id cannot contain ".."');

/** A branch, tag or commit; "main" when left out. */
export const HubRevisionSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_./-]*$/, 'a revision is a branch, a tag or a commit hash')
  .refine((revision) => !revision.split('/').includes('..'), 'a revision cannot contain ".."');

/** A file's path inside a repo, as the tree lists it. */
export const HubFilePathSchema = z
  .string()
  .min(1)
  .max(1000)
  .refine((path) => !path.startsWith('/') && !path.split('/').some((part) => part === '..' || part === '' || part === '.'), 'a file path inside the repo, without ".." or a leading "/"');

export const HUB_SORTS = ['downloads', 'likes', 'lastModified', 'trendingScore'] as const;

export const HubSearchInputSchema = z.object({
  search: z.string().trim().max(200),
  limit: z.number().int().min(1).max(100).default(20),
  sort: z.enum(HUB_SORTS).default('downloads'),
});
export type HubSearchInput = z.input<typeof HubSearchInputSchema>;

/** One model card of a search. */
export const HubModelCardSchema = z.object({
  repo: z.string(),
  downloads: z.number().nonnegative().nullable(),
  likes: z.number().nonnegative().nullable(),
  /** A gated repo asks for its licence to be accepted on the Hub, and a token, before it downloads. */
  gated: z.boolean(),
  private: z.boolean(),
  lastModified: z.string().nullable(),
  /** The Hub's pipeline tag (text-generation for every model a search lists) and library, when it says. */
  pipelineTag: z.string().nullable(),
  libraryName: z.string().nullable(),
  tags: z.array(z.string()),
});
export type HubModelCard = z.infer<typeof HubModelCardSchema>;

export const HubSearchResultSchema = z.object({
  /** The Hub asked (the endpoint in use). */
  endpoint: z.string(),
  models: z.array(HubModelCardSchema),
});
export type HubSearchResult = z.infer<typeof HubSearchResultSchema>;

export const HubModelInfoInputSchema = z.object({
  repo: HubRepoIdSchema,
  revision: HubRevisionSchema.optional(),
  /** Context length to plan the memory for (default: the chat default, clamped to the model's). */
  contextTokens: z.number().int().positive().max(10_000_000).optional(),
});
export type HubModelInfoInput = z.input<typeof HubModelInfoInputSchema>;

export const HubFileSchema = z.object({ path: z.string(), sizeBytes: z.number().nonnegative() });
export type HubFile = z.infer<typeof HubFileSchema>;

/** A file left out of a download, and why (a .bin checkpoint: Hearth reads only safetensors). */
export const HubSkippedFileSchema = z.object({ path: z.string(), reason: z.string() });

/** One GGUF file of a repo that has only GGUF files: the person picks one quantization. */
export const HubGgufChoiceSchema = z.object({
  path: z.string(),
  sizeBytes: z.number().nonnegative(),
  /** llama.cpp's name for its quantization as the file name says it (Q4_K_M), or null. */
  quantization: z.string().nullable(),
  /**
   * Whether it fits this machine, judged as the quantization dropdown does for a GGUF model (weights
   * as stored, plus headroom), from the file's size: the file's header is read only once downloaded.
   */
  fit: FitBadgeSchema,
  /** What the fit was judged on: the file's bytes against the free RAM (or VRAM). */
  memoryBytes: z.number().nonnegative(),
});
export type HubGgufChoice = z.infer<typeof HubGgufChoiceSchema>;

export const HubModelInfoSchema = z.object({
  repo: z.string(),
  /** The revision asked for, and the commit it resolved to (a download is pinned to it). */
  revision: z.string(),
  commit: z.string(),
  gated: z.boolean(),
  private: z.boolean(),
  downloads: z.number().nonnegative().nullable(),
  likes: z.number().nonnegative().nullable(),
  /** Where a gated repo's licence is accepted (the repo's page on the Hub); null when it is not gated. */
  licenceUrl: z.string().nullable(),
  /**
   * What a download fetches: a Hugging Face folder (safetensors), one GGUF file picked by the
   * person, nothing usable, or not known yet: a gated or private repo shows its files only with a
   * token (and its licence accepted on its page).
   */
  kind: z.enum(['safetensors', 'gguf', 'unusable', 'needs-token']),
  /** Why nothing in it is usable (only .bin files, say) or why its files cannot be listed (a token), and what to do; null otherwise. */
  unusableReason: z.string().nullable(),
  /** The files of a safetensors download, with their bytes (empty for a GGUF repo: see ggufFiles). */
  files: z.array(HubFileSchema),
  totalBytes: z.number().nonnegative(),
  skipped: z.array(HubSkippedFileSchema),
  /** From config.json: the architecture and its size; null for a GGUF repo or a config Hearth cannot read. */
  model: z
    .object({
      architecture: z.enum(ARCHITECTURES),
      parameters: z.number().nonnegative(),
      contextLength: z.number().int().positive(),
    })
    .nullable(),
  /** Size per precision and fit badge on this machine, from the memory planner (the dropdown's plan); null when config.json cannot be planned. */
  plan: PrecisionPlanSchema.nullable(),
  /** Why there is no plan (config.json missing, or of an architecture Hearth does not run). */
  planError: z.string().nullable(),
  ggufFiles: z.array(HubGgufChoiceSchema),
});
export type HubModelInfo = z.infer<typeof HubModelInfoSchema>;

export const HubEndpointSourceSchema = z.enum(['environment', 'settings', 'default']);

/** The Hub settings as the UI sees them: the token only masked (its last four characters). */
export const HubSettingsSchema = z.object({
  endpoint: z.string(),
  /** HF_ENDPOINT wins over the settings (huggingface_hub's convention), and the settings over the public Hub. */
  endpointSource: HubEndpointSourceSchema,
  /** The endpoint stored in the settings (null: none), shown even while HF_ENDPOINT overrides it. */
  storedEndpoint: z.string().nullable(),
  token: z.object({
    /** "hf_…wxyz", or null when there is none. */
    masked: z.string().nullable(),
    source: z.enum(['environment', 'settings']).nullable(),
  }),
});
export type HubSettings = z.infer<typeof HubSettingsSchema>;

export const SetHubSettingsInputSchema = z.object({
  /** An http(s) address; null goes back to the default. Left out: unchanged. */
  endpoint: z.string().trim().url().max(2000).refine((url) => /^https?:\/\//i.test(url), 'use an http:// or https:// address').nullable().optional(),
  /** A Hugging Face access token (hf_…); null forgets it. Left out: unchanged. */
  token: z.string().trim().min(1).max(500).regex(/^[\x21-\x7e]+$/, 'a token is printable characters without spaces').nullable().optional(),
});
export type SetHubSettingsInput = z.input<typeof SetHubSettingsInputSchema>;

// ---- downloads ----

export const StartDownloadInputSchema = z.object({
  repo: HubRepoIdSchema,
  revision: HubRevisionSchema.optional(),
  /** One file to fetch (the GGUF quantization picked); left out: the Hugging Face folder's files. */
  file: HubFilePathSchema.optional(),
});
export type StartDownloadInput = z.input<typeof StartDownloadInputSchema>;

export const DownloadIdInputSchema = z.object({ jobId: z.string().min(1).max(100) });

/**
 * running: fetching or verifying; importing: every file verified, the model joins the library;
 * paused: by the person, or cut off by a restart (resumes from its .part files); failed: after
 * the retries, with the reason (resumable); cancelled: its parts removed; completed: in the library.
 */
export const DownloadStateSchema = z.enum(['running', 'importing', 'paused', 'failed', 'cancelled', 'completed']);
export type DownloadState = z.infer<typeof DownloadStateSchema>;

export const DownloadFileProgressSchema = z.object({
  path: z.string(),
  doneBytes: z.number().nonnegative(),
  totalBytes: z.number().nonnegative(),
  /** retrying: its connection dropped, stalled or its checksum failed, and it is fetched again from where it stopped. */
  state: z.enum(['waiting', 'downloading', 'retrying', 'done']),
});
export type DownloadFileProgress = z.infer<typeof DownloadFileProgressSchema>;

export const DownloadProgressSchema = z.object({
  doneBytes: z.number().nonnegative(),
  /** Null until the file list is known. */
  totalBytes: z.number().nonnegative().nullable(),
  /** Over the last seconds; null while not running. */
  bytesPerSecond: z.number().nonnegative().nullable(),
  etaMs: z.number().nonnegative().nullable(),
  files: z.array(DownloadFileProgressSchema),
  /** Why a file is being fetched again (a dropped connection, a stall, a checksum mismatch), until its next byte arrives. */
  retrying: z.string().nullable(),
});
export type DownloadProgress = z.infer<typeof DownloadProgressSchema>;

export const DownloadSchema = z.object({
  jobId: z.string(),
  repo: z.string(),
  revision: z.string(),
  /** The commit the download is pinned to, once the Hub named it. */
  commit: z.string().nullable(),
  /** The one file asked for (a GGUF quantization), or null for the folder. */
  file: z.string().nullable(),
  state: DownloadStateSchema,
  error: z.string().nullable(),
  /** Whether resume continues it (paused or failed, with its parts kept). */
  resumable: z.boolean(),
  /** Where its files go: <dataDir>/downloads/<owner>/<name>/. */
  destDir: z.string(),
  /** The library model it became, once completed. */
  modelId: z.string().nullable(),
  progress: DownloadProgressSchema,
  createdAt: z.number(),
  finishedAt: z.number().nullable(),
});
export type Download = z.infer<typeof DownloadSchema>;
