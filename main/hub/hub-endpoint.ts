// Which Hugging Face Hub Hearth talks to, and with which token. huggingface_hub's conventions:
// HF_ENDPOINT names the Hub (a mirror, or the project's stand-in Hub in tests), HF_TOKEN the
// token; otherwise the app's settings; otherwise the public Hub without a token.
//
// The token is a secret: it goes only to the endpoint's own origin (scheme, host and port), as
// the `Authorization` header. A redirect to another origin (the Hub sends large files to a CDN
// with a signed address) is followed without it, as `requests` (and so huggingface_hub) strips
// Authorization on a redirect to another host. It is never part of a message, a log line or
// JSON: printing or serialising a HubEndpoint shows only whether it has one.
import { inspect } from 'node:util';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/** The Hub's address and token as the app's settings hold them (either may be unset). */
export interface HubSettings {
  endpoint?: string | null;
  token?: string | null;
}

/**
 * Each endpoint's token, held outside the object so that no property, JSON or inspection shows it.
 * (A WeakMap rather than a #private field: the security lint of the packaged app, Electronegativity,
 * cannot parse private fields, and this file is bundled into the app's main process.)
 */
const tokens = new WeakMap<HubEndpoint, string | null>();

export class HubEndpoint {
  /** The Hub's base address without a trailing slash, e.g. https://huggingface.co or http://127.0.0.1:PORT. */
  readonly url: string;

  constructor(url: string, token: string | null = null) {
    this.url = normaliseEndpoint(url);
    tokens.set(this, token?.trim() ? token.trim() : null);
  }

  private get token(): string | null {
    return tokens.get(this) ?? null;
  }

  get hasToken(): boolean {
    return this.token !== null;
  }

  get origin(): string {
    return new URL(this.url).origin;
  }

  /** An address on this Hub: `path` starts with '/'. */
  address(path: string): string {
    return `${this.url}${path}`;
  }

  /** Whether a request to `url` may carry the token: only to this endpoint's own origin. */
  sendsTokenTo(url: string | URL): boolean {
    return this.token !== null && new URL(url).origin === this.origin;
  }

  /** The headers a request to `url` carries: the token where it may go, plus `extra`. */
  headersFor(url: string | URL, extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { 'User-Agent': 'hearth (huggingface_hub-compatible)', ...extra };
    if (this.sendsTokenTo(url)) headers.Authorization = `Bearer ${this.token}`;
    return headers;
  }

  /** The page of a repository on this Hub, where a person accepts a gated model's licence. */
  repoPage(repo: string): string {
    return this.address(`/${repo}`);
  }

  toJSON(): { url: string; hasToken: boolean } {
    return { url: this.url, hasToken: this.hasToken };
  }

  [inspect.custom](): string {
    return `HubEndpoint(${this.url}${this.hasToken ? ', with a token' : ''})`;
  }
}

/**
 * The Hub to use: HF_ENDPOINT, else the settings' endpoint, else the public Hub; the token from
 * HF_TOKEN (huggingface_hub also reads the older HUGGING_FACE_HUB_TOKEN), else the settings'.
 */
export function resolveHubEndpoint(settings: HubSettings = {}, env: NodeJS.ProcessEnv = process.env): HubEndpoint {
  const url = nonBlank(env.HF_ENDPOINT) ?? nonBlank(settings.endpoint) ?? DEFAULT_HUB_ENDPOINT;
  const token = nonBlank(env.HF_TOKEN) ?? nonBlank(env.HUGGING_FACE_HUB_TOKEN) ?? nonBlank(settings.token) ?? null;
  return new HubEndpoint(url, token);
}

/** An http(s) address without its trailing slash; anything else is refused with what to write. */
export function normaliseEndpoint(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new Error(`'${text}' is not a Hub address; write one like ${DEFAULT_HUB_ENDPOINT} (HF_ENDPOINT or the Hub setting).`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`'${text}' is not an http(s) address; write one like ${DEFAULT_HUB_ENDPOINT} (HF_ENDPOINT or the Hub setting).`);
  }
  if (url.search || url.hash) throw new Error(`The Hub address '${text}' cannot have a query or a fragment.`);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

function nonBlank(value: string | null | undefined): string | undefined {
  return value?.trim() ? value.trim() : undefined;
}
