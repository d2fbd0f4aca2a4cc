// The local server's settings, kept in the settings table: the API key that OpenAI clients send
// as `Authorization: Bearer KEY` (made on first use and kept across launches, so a client set up
// once keeps working; unlike the web shell's token, which is new at each launch), and the origins
// whose pages may call the API from a browser (CORS; none by default). The address the server
// listens on is known only once it runs: the shell tells it here, for the "Local server" page.
import { z } from 'zod';
import { randomBytes } from 'node:crypto';
import type { LocalServerInfo } from '../common/contracts/local-server.ts';
import { CorsOriginSchema } from '../common/contracts/local-server.ts';
import type { Store } from '../store/store.ts';

const API_KEY_SETTING = 'server.apiKey';
const CORS_ORIGINS_SETTING = 'server.corsOrigins';
/** "hearth-" and 32 random bytes in base64url: recognisable in a client's config, and unguessable. */
const ApiKeySchema = z.string().regex(/^hearth-[A-Za-z0-9_-]{43}$/);
const CorsOriginsSchema = z.array(CorsOriginSchema).max(100);

export class LocalServerSettings {
  private readonly store: Store;
  private baseUrl: string | null = null;

  constructor(store: Store) {
    this.store = store;
  }

  /** The API key, made and stored the first time it is asked for (or when the stored one is unreadable). */
  apiKey(): string {
    let key: string | undefined;
    try {
      key = this.store.settings.get(API_KEY_SETTING, ApiKeySchema);
    } catch {
      key = undefined; // unreadable: replaced below, and clients get the new key from the page
    }
    return key ?? this.newApiKey();
  }

  /** Replaces the API key: clients holding the old one get 401 from now on. */
  newApiKey(): string {
    return this.store.settings.set(API_KEY_SETTING, ApiKeySchema, `hearth-${randomBytes(32).toString('base64url')}`);
  }

  /** Origins (scheme://host[:port]) whose pages may call /v1 from a browser. */
  corsOrigins(): string[] {
    try {
      return this.store.settings.getOr(CORS_ORIGINS_SETTING, CorsOriginsSchema, []);
    } catch {
      return [];
    }
  }

  setCorsOrigins(origins: readonly string[]): string[] {
    return this.store.settings.set(CORS_ORIGINS_SETTING, CorsOriginsSchema, [...new Set(origins.map((o) => o.toLowerCase()))]);
  }

  /** The shell says where the API listens once its server runs (http://127.0.0.1:PORT/v1). */
  announce(baseUrl: string | null): void {
    this.baseUrl = baseUrl;
  }

  info(): LocalServerInfo {
    return { apiBaseUrl: this.baseUrl, apiKey: this.apiKey(), corsOrigins: this.corsOrigins() };
  }
}
