// The local server's settings, kept in the settings table: the API key that OpenAI clients send
// as `Authorization: Bearer KEY` (made on first use and kept across launches, so a client set up
// once keeps working; unlike the web shell's token, which is new at each launch), and the origins
// whose pages may call the API from a browser (CORS; none by default), and whether other machines
// on the local network may reach the server (off by default; `hearth serve` reads it when it
// starts). The addresses the server listens on are known only once it runs: the shell tells them
// here, for the "Local server" page.
import { z } from 'zod';
import { randomBytes } from 'node:crypto';
import type { LocalServerInfo } from '../common/contracts/local-server.ts';
import { ApiPortSchema, CorsOriginSchema } from '../common/contracts/local-server.ts';
import type { Store } from '../store/store.ts';

const API_KEY_SETTING = 'server.apiKey';
const CORS_ORIGINS_SETTING = 'server.corsOrigins';
const LOCAL_NETWORK_SETTING = 'server.localNetwork';
const API_PORT_SETTING = 'server.apiPort';
/**
 * Where the desktop app serves /v1 unless the person picks another port: not LM Studio's 1234,
 * Ollama's 11434, Jan's 1337 or GPT4All's 4891, so that a client set up for one of them is not
 * answered by Hearth. When it is taken, the server takes the next free one (and says which).
 */
export const DEFAULT_API_PORT = 8484;
/** "hearth-" and 32 random bytes in base64url: recognisable in a client's config, and unguessable. */
const ApiKeySchema = z.string().regex(/^hearth-[A-Za-z0-9_-]{43}$/);
const CorsOriginsSchema = z.array(CorsOriginSchema).max(100);

/** Where a running server listens, as the shell announces it. */
export interface ServerAddresses {
  /** http://127.0.0.1:PORT/v1 */
  apiBaseUrl: string | null;
  /** http://127.0.0.1:PORT/?token=TOKEN; null where only /v1 is served (the desktop app). */
  webShellUrl: string | null;
  /** The names it answers to from the local network; empty when it serves 127.0.0.1 only. */
  networkHosts: string[];
}

export class LocalServerSettings {
  private readonly store: Store;
  private running: ServerAddresses | null = null;

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

  /** Whether other machines on the local network may reach the server (read by `hearth serve` when it starts). */
  localNetwork(): boolean {
    try {
      return this.store.settings.getOr(LOCAL_NETWORK_SETTING, z.boolean(), false);
    } catch {
      return false; // unreadable: the safe default, 127.0.0.1 only
    }
  }

  setLocalNetwork(enabled: boolean): boolean {
    return this.store.settings.set(LOCAL_NETWORK_SETTING, z.boolean(), enabled);
  }

  /** The port the desktop app serves /v1 on (from its next start; the next free one when it is taken). */
  apiPort(): number {
    try {
      return this.store.settings.getOr(API_PORT_SETTING, ApiPortSchema, DEFAULT_API_PORT);
    } catch {
      return DEFAULT_API_PORT; // unreadable: the default
    }
  }

  setApiPort(port: number): number {
    return this.store.settings.set(API_PORT_SETTING, ApiPortSchema, port);
  }

  /** The shell says where it listens once its server runs; null when it stops. */
  announce(addresses: ServerAddresses | null): void {
    this.running = addresses;
  }

  info(): LocalServerInfo {
    return {
      apiBaseUrl: this.running?.apiBaseUrl ?? null,
      apiKey: this.apiKey(),
      apiPort: this.apiPort(),
      corsOrigins: this.corsOrigins(),
      localNetwork: this.localNetwork(),
      networkHosts: this.running?.networkHosts ?? [],
      webShellUrl: this.running?.webShellUrl ?? null,
    };
  }
}
