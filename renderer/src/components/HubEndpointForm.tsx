// The Hub's address in the settings (a mirror, or a Hub of one's own): saved, or put back to the
// public Hub. HF_ENDPOINT, when set, wins; the form then says so and is not offered.
import { useState } from 'react';
import type { HubSettings } from '../../../main/common/contracts/hub.ts';
import type { ApiClient } from '../api/api-client.ts';
import { errorMessage } from '../api/api-client.ts';

export function HubEndpointForm({ client, settings, onSaved }: { client: ApiClient; settings: HubSettings; onSaved: (settings: HubSettings) => void }) {
  const [endpoint, setEndpoint] = useState(settings.storedEndpoint ?? '');
  const [error, setError] = useState<string | null>(null);

  const save = async (value: string | null) => {
    setError(null);
    try {
      const saved = await client.call('hub.setSettings', { endpoint: value });
      setEndpoint(saved.storedEndpoint ?? '');
      onSaved(saved);
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <form
      className="hub-endpoint-form"
      aria-label="Hub address"
      onSubmit={(e) => {
        e.preventDefault();
        void save(endpoint.trim() || null);
      }}
    >
      <label>
        <span>Hub address</span>
        <input type="url" value={endpoint} placeholder="https://huggingface.co" onChange={(e) => setEndpoint(e.target.value)} />
      </label>
      <button type="submit">Save address</button>
      {settings.storedEndpoint && (
        <button type="button" onClick={() => void save(null)}>
          Use the public Hub
        </button>
      )}
      {error && (
        <p className="error-box" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
