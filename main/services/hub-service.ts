// What the Discover page asks of the Hugging Face Hub: a search's model cards, and one repo's
// details before anything is downloaded. For a Hugging Face folder, its config.json is fetched
// first and alone (a few KB), folded into a ModelSpec as an import would, and planned by the
// memory planner with this machine's hardware exactly as the quantization dropdown's plan is
// (HardwareService.plan): the size per precision and the fit badge the person sees before they
// download gigabytes. A repo of GGUF files lists each file to pick one quantization from.
import { ApiError } from '../common/contracts/api-error.ts';
import { DEFAULT_CHAT_PARAMS } from '../common/contracts/chat.ts';
import type { HubGgufChoice, HubModelCard, HubModelInfo, HubModelInfoInput, HubSearchInput, HubSearchResult } from '../common/contracts/hub.ts';
import type { ModelSpec } from '../common/model-spec.ts';
import { CONFIG_FILE, specFromConfigJson } from '../engine/architectures/model-source.ts';
import { countParameters, fitsIn } from '../engine/memory-plan/memory-plan.ts';
import { PLAN_HEADROOM, planPrecisions } from '../engine/memory-plan/precision-plan.ts';
import type { DownloadPlan, PlannedFile } from '../hub/download-plan.ts';
import { HubClient } from '../hub/hub-client.ts';
import { HubError } from '../hub/hub-error.ts';
import { planRepoDownload } from '../hub/repo-download.ts';
import { z } from 'zod';
import type { HardwareService } from './hardware-service.ts';
import type { HubSettingsService } from './hub-settings.ts';

/** A HubError as the UI gets it: its message (already saying what to do) under the code the UI branches on. */
export function apiErrorOfHub(error: unknown): unknown {
  if (!(error instanceof HubError)) return error;
  switch (error.kind) {
    case 'not-found':
      return new ApiError('not-found', error.message);
    case 'needs-token':
      return new ApiError('needs-token', error.message);
    case 'network':
    case 'server':
      return new ApiError('network', error.message);
    case 'nothing-usable':
    case 'choose-file':
    case 'disk-space':
      return new ApiError('invalid-input', error.message);
    default:
      return new ApiError('internal', error.message);
  }
}

/** llama.cpp's quantization name in a GGUF file's name ("…-Q4_K_M.gguf" → "Q4_K_M"), or null. */
export function ggufQuantizationOf(path: string): string | null {
  const match = /(?:^|[-_.])(I?Q\d(?:_[A-Z0-9]+)*|BF16|F16|F32)\.gguf$/i.exec(path.split('/').at(-1) ?? path);
  return match ? match[1].toUpperCase() : null;
}

export class HubService {
  private readonly settings: HubSettingsService;
  private readonly hardware: HardwareService;

  constructor(settings: HubSettingsService, hardware: HardwareService) {
    this.settings = settings;
    this.hardware = hardware;
  }

  /** A client for the endpoint and token in use now (the settings may have changed since the last call). */
  client(): HubClient {
    return new HubClient(this.settings.endpoint());
  }

  async search(input: Required<HubSearchInput>): Promise<HubSearchResult> {
    const client = this.client();
    try {
      const found = await client.searchModels({ search: input.search, limit: input.limit, sort: input.sort });
      const models: HubModelCard[] = found.map((m) => ({
        repo: m.id,
        downloads: m.downloads,
        likes: m.likes,
        gated: m.gated,
        private: m.private,
        lastModified: m.lastModified,
        pipelineTag: m.pipelineTag,
        libraryName: m.libraryName,
        tags: m.tags,
      }));
      return { endpoint: client.endpoint.url, models };
    } catch (error) {
      throw apiErrorOfHub(error);
    }
  }

  async modelInfo(input: HubModelInfoInput): Promise<HubModelInfo> {
    const client = this.client();
    try {
      const info = await client.modelInfo(input.repo, input.revision);
      // Pinned to the commit the revision names now: the plan and a download read the same files.
      const commit = info.sha;
      const [config, listed] = await Promise.all([readConfig(client, input.repo, commit), downloadPlan(client, input.repo, commit)]);
      // A gated repo may list its files to anyone and still refuse them without a token: config.json says so first.
      const plan = 'error' in config && config.needsToken ? { kind: 'needs-token' as const, reason: config.error } : listed;
      const gated = info.gated !== false;
      const base = {
        repo: info.id,
        revision: input.revision ?? 'main',
        commit,
        gated,
        private: info.private,
        downloads: info.downloads,
        likes: info.likes,
        licenceUrl: gated ? client.endpoint.repoPage(info.id) : null,
      };
      if ('reason' in plan) {
        return { ...base, kind: plan.kind, unusableReason: plan.reason, files: [], totalBytes: 0, skipped: [], model: null, plan: null, planError: null, ggufFiles: [] };
      }
      if (plan.kind === 'gguf' || plan.kind === 'gguf-choice') {
        const choices = plan.kind === 'gguf' ? plan.files : plan.choices;
        return {
          ...base,
          kind: 'gguf',
          unusableReason: null,
          files: [],
          totalBytes: 0,
          skipped: plan.skipped,
          model: null,
          plan: null,
          planError: null,
          ggufFiles: await this.ggufChoices(choices),
        };
      }
      const planned = await this.planFromConfig(input.repo, config, input.contextTokens);
      return {
        ...base,
        kind: 'safetensors',
        unusableReason: null,
        files: plan.files.map((f) => ({ path: f.path, sizeBytes: f.size })),
        totalBytes: plan.totalBytes,
        skipped: plan.skipped,
        ...planned,
        ggufFiles: [],
      };
    } catch (error) {
      throw apiErrorOfHub(error);
    }
  }

  /** The size per precision and fit on this machine from config.json alone, as the dropdown plans an imported model. */
  private async planFromConfig(
    repo: string,
    config: { json: unknown } | { error: string; needsToken: boolean },
    contextTokens: number | undefined,
  ): Promise<Pick<HubModelInfo, 'model' | 'plan' | 'planError'>> {
    if ('error' in config) return { model: null, plan: null, planError: config.error };
    let spec: ModelSpec;
    try {
      spec = specFromConfigJson(`${repo}/${CONFIG_FILE}`, config.json);
    } catch (error) {
      return { model: null, plan: null, planError: error instanceof Error ? error.message : String(error) };
    }
    const context = Math.max(1, Math.min(contextTokens ?? DEFAULT_CHAT_PARAMS.contextLength, spec.contextLength));
    return {
      model: { architecture: spec.architecture, parameters: countParameters(spec), contextLength: spec.contextLength },
      plan: planPrecisions(spec, context, await this.hardware.get()),
      planError: null,
    };
  }

  /**
   * Each GGUF file with its quantization and whether it fits. The file's header (and so its
   * context and KV cache) is read only once downloaded, so the fit is its weights as stored
   * (how the dropdown plans a GGUF built as downloaded) against the free RAM with the same
   * headroom: a GGUF built as downloaded runs on the CPU.
   */
  private async ggufChoices(files: readonly PlannedFile[]): Promise<HubGgufChoice[]> {
    const hardware = await this.hardware.get();
    return files.map((file) => ({
      path: file.path,
      sizeBytes: file.size,
      quantization: ggufQuantizationOf(file.path),
      fit: fitsIn({ totalBytes: file.size }, hardware.ramFreeBytes, PLAN_HEADROOM) ? 'fits-ram-cpu' : 'does-not-fit',
      memoryBytes: file.size,
    }));
  }
}

/** What a download of the repo at `commit` would fetch (as `hearth pull` plans it), or why nothing in it is usable or listable (said on the card, not thrown). */
async function downloadPlan(client: HubClient, repo: string, commit: string): Promise<DownloadPlan | { kind: 'unusable' | 'needs-token'; reason: string }> {
  try {
    return (await planRepoDownload(client, repo, commit, undefined, undefined, commit)).plan;
  } catch (error) {
    if (error instanceof HubError && error.kind === 'nothing-usable') return { kind: 'unusable', reason: error.message };
    if (error instanceof HubError && error.kind === 'needs-token') return { kind: 'needs-token', reason: error.message };
    throw error;
  }
}

/** Whether the search result says the repo is gated (the Hub sends "auto"/"manual", or false). */
/** config.json at the commit, or why it cannot be read (a GGUF repo has none; a gated one needs a token). */
async function readConfig(client: HubClient, repo: string, commit: string): Promise<{ json: unknown } | { error: string; needsToken: boolean }> {
  try {
    return { json: await client.readJsonFile(repo, commit, CONFIG_FILE, z.unknown()) };
  } catch (error) {
    if (error instanceof HubError && (error.kind === 'not-found' || error.kind === 'needs-token' || error.kind === 'bad-response')) return { error: error.message, needsToken: error.kind === 'needs-token' };
    throw error;
  }
}
