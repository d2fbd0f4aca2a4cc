// The Discover page: models on the Hugging Face Hub (HF_ENDPOINT or the Hub setting). A search
// box that asks the Hub once typing pauses, a card per model with what this machine makes of it,
// "Download", and every download with its progress, Pause, Resume and Cancel. A completed download
// is in the library, and "Chat with it" opens a new chat with it.
import { useEffect, useState } from 'react';
import type { HubSettings } from '../../../main/common/contracts/hub.ts';
import type { ApiClient } from '../api/api-client.ts';
import { errorMessage } from '../api/api-client.ts';
import type { DownloadsState } from '../state/use-downloads.ts';
import type { HubSearchState } from '../state/use-hub-search.ts';
import { DownloadRow, type DownloadActions } from './DownloadRow.tsx';
import { HubEndpointForm } from './HubEndpointForm.tsx';
import { HubModelCard } from './HubModelCard.tsx';
import { HubTokenForm } from './HubTokenForm.tsx';
import './DiscoverPage.css';

/** The first cards read their details at once (sizes, fit); the others when asked. */
const CARDS_READ_AT_ONCE = 4;

export interface DiscoverPageProps {
  client: ApiClient;
  downloads: DownloadsState;
  search: HubSearchState;
  onChat: (modelId: string) => void;
}

export function DiscoverPage({ client, downloads, search, onChat }: DiscoverPageProps) {
  const { query, setQuery, results, searching } = search;
  const [settingsError, setSettingsError] = useState<string | null>(null);
  const [settings, setSettings] = useState<HubSettings | null>(null);
  const searchError = search.error ?? settingsError;

  const loadSettings = () => {
    client.call('hub.settings', {}).then(setSettings, (e: unknown) => setSettingsError(errorMessage(e)));
  };
  useEffect(loadSettings, [client]);

  const actions: DownloadActions = {
    pause: (jobId) => void downloads.pause(jobId),
    resume: (jobId) => void downloads.resume(jobId),
    cancel: (jobId) => void downloads.cancel(jobId),
    chat: onChat,
  };
  const shown = downloads.downloads.filter((d) => d.state !== 'cancelled');

  return (
    <section className="discover" aria-labelledby="discover-title">
      <h2 id="discover-title">Discover</h2>
      <input
        type="search"
        className="discover-search"
        aria-label="Search models on the Hub"
        placeholder="Search models on the Hugging Face Hub, e.g. Qwen2.5 0.5B"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      {settings && (
        <details className="discover-settings">
          <summary>
            Hub: {settings.endpoint}
            {settings.token.masked ? `, token ${settings.token.masked}` : ', no token'}
          </summary>
          <p className="muted">
            {settings.endpointSource === 'environment' ? 'The address comes from HF_ENDPOINT.' : 'HF_ENDPOINT, when set, wins over the address below.'}{' '}
            {settings.token.source === 'environment' ? 'The token comes from HF_TOKEN.' : 'A token is needed only for gated or private models.'}
          </p>
          {settings.endpointSource !== 'environment' && <HubEndpointForm client={client} settings={settings} onSaved={setSettings} />}
          {settings.token.source !== 'environment' && <HubTokenForm client={client} licenceUrl={null} message={null} onSaved={loadSettings} />}
          {settings.token.source === 'settings' && (
            <button type="button" onClick={() => void client.call('hub.setSettings', { token: null }).then(setSettings, (e: unknown) => setSettingsError(errorMessage(e)))}>
              Forget the token
            </button>
          )}
        </details>
      )}
      {searchError && (
        <p className="error-box" role="alert">
          {searchError}
        </p>
      )}
      {searching && <p className="muted">Searching…</p>}
      {results && !searching && results.length === 0 && <p className="muted">No text-generation model on the Hub matches “{query.trim()}”.</p>}
      {results && results.length > 0 && (
        <ul className="hub-cards" aria-label="Models on the Hub">
          {results.map((card, index) => (
            <HubModelCard
              key={card.repo}
              client={client}
              card={card}
              downloads={downloads.downloads.filter((d) => d.repo === card.repo)}
              onDownload={(input) => void downloads.start(input)}
              actions={actions}
              autoLoad={index < CARDS_READ_AT_ONCE}
              onTokenSaved={loadSettings}
            />
          ))}
        </ul>
      )}
      <h3>Downloads</h3>
      {shown.length === 0 ? (
        <p className="muted">Nothing downloaded yet. Downloads pause when Hearth closes and resume from where they stopped.</p>
      ) : (
        <ul className="download-list" aria-label="Downloads">
          {shown.map((d) => (
            <DownloadRow key={d.jobId} download={d} actions={actions} />
          ))}
        </ul>
      )}
    </section>
  );
}
