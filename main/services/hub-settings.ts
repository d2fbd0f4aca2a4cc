// The Hugging Face Hub settings: the endpoint and the access token, kept in the settings table.
// HF_ENDPOINT and HF_TOKEN win over them (huggingface_hub's convention, main/hub/hub-endpoint.ts).
// The token is a secret: it leaves this file only inside a HubEndpoint (which sends it to its own
// origin alone), and the UI gets it masked to its last four characters.
import { z } from 'zod';
import { ApiError } from '../common/contracts/api-error.ts';
import type { HubSettings, SetHubSettingsInputSchema } from '../common/contracts/hub.ts';
import { DEFAULT_HUB_ENDPOINT, normaliseEndpoint, resolveHubEndpoint, type HubEndpoint } from '../hub/hub-endpoint.ts';
import type { Store } from '../store/store.ts';

const ENDPOINT_KEY = 'hub.endpoint';
const TOKEN_KEY = 'hub.token';
const StoredTextSchema = z.string().min(1);

/** "hf_…wxyz": enough to tell two tokens apart, never enough to use one. */
export function maskToken(token: string): string {
  if (token.length < 12) return '…';
  return `${token.startsWith('hf_') ? 'hf_' : ''}…${token.slice(-4)}`;
}

export class HubSettingsService {
  private readonly store: Store;
  private readonly env: NodeJS.ProcessEnv;

  constructor(store: Store, env: NodeJS.ProcessEnv = process.env) {
    this.store = store;
    this.env = env;
  }

  /** The Hub to talk to now, with its token. */
  endpoint(): HubEndpoint {
    return resolveHubEndpoint({ endpoint: this.stored(ENDPOINT_KEY), token: this.stored(TOKEN_KEY) }, this.env);
  }

  get(): HubSettings {
    const storedEndpoint = this.stored(ENDPOINT_KEY);
    const envEndpoint = nonBlank(this.env.HF_ENDPOINT);
    const envToken = nonBlank(this.env.HF_TOKEN) ?? nonBlank(this.env.HUGGING_FACE_HUB_TOKEN);
    const storedToken = this.stored(TOKEN_KEY);
    const token = envToken ?? storedToken;
    return {
      endpoint: this.endpoint().url,
      endpointSource: envEndpoint ? 'environment' : storedEndpoint ? 'settings' : 'default',
      storedEndpoint,
      token: { masked: token ? maskToken(token) : null, source: envToken ? 'environment' : storedToken ? 'settings' : null },
    };
  }

  /** Stores what is given (null forgets it, undefined leaves it); answers the settings as they are now. */
  set(input: z.infer<typeof SetHubSettingsInputSchema>): HubSettings {
    if (input.endpoint !== undefined) {
      if (input.endpoint === null) this.store.settings.delete(ENDPOINT_KEY);
      else {
        let url: string;
        try {
          url = normaliseEndpoint(input.endpoint);
        } catch (error) {
          throw new ApiError('invalid-input', error instanceof Error ? error.message : String(error));
        }
        if (url === DEFAULT_HUB_ENDPOINT) this.store.settings.delete(ENDPOINT_KEY);
        else this.store.settings.set(ENDPOINT_KEY, StoredTextSchema, url);
      }
    }
    if (input.token !== undefined) {
      if (input.token === null) this.store.settings.delete(TOKEN_KEY);
      else this.store.settings.set(TOKEN_KEY, StoredTextSchema, input.token.trim());
    }
    return this.get();
  }

  private stored(key: string): string | null {
    try {
      return this.store.settings.get(key, StoredTextSchema) ?? null;
    } catch {
      // A value this Hearth does not understand counts as unset; setting it again replaces it.
      return null;
    }
  }
}

function nonBlank(value: string | undefined): string | undefined {
  return value?.trim() ? value.trim() : undefined;
}
