// The Hub the CLI talks to: HF_ENDPOINT/HF_TOKEN, else the Hub settings saved by the app in the
// data directory (read only where its database already exists: a search creates nothing).
import { existsSync } from 'node:fs';
import { resolveHubEndpoint, type HubEndpoint } from '../hub/hub-endpoint.ts';
import { HubSettingsService } from '../services/hub-settings.ts';
import { databaseFileIn, openStore } from '../store/store.ts';
import { StoreError } from '../store/store-error.ts';

export function hubEndpointIn(dataDir: string): HubEndpoint {
  if (!existsSync(databaseFileIn(dataDir))) return resolveHubEndpoint();
  let store;
  try {
    // The app may be running on this data directory: its streaming answers are not ours to mark interrupted.
    store = openStore(databaseFileIn(dataDir), { recoverInterruptedMessages: false });
  } catch (error) {
    if (error instanceof StoreError) throw new Error(error.message);
    throw error;
  }
  try {
    return new HubSettingsService(store).endpoint();
  } finally {
    store.close();
  }
}
