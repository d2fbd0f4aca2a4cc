// A Hugging Face access token, asked for where a gated or private repo needs one: where to accept
// the licence first, a password field, and the token saved in Hearth's settings (it never comes
// back whole: the page only ever sees its last four characters).
import { useState } from 'react';
import type { ApiClient } from '../api/api-client.ts';
import { errorMessage } from '../api/api-client.ts';

export interface HubTokenFormProps {
  client: ApiClient;
  /** The repo's page on the Hub, where its licence is accepted (null when it is private, not gated). */
  licenceUrl: string | null;
  /** Why a token is needed, as the Hub's answer said. */
  message: string | null;
  onSaved: () => void;
}

export function HubTokenForm({ client, licenceUrl, message, onSaved }: HubTokenFormProps) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const save = async () => {
    setSaving(true);
    setError(null);
    try {
      await client.call('hub.setSettings', { token: token.trim() });
      setToken('');
      onSaved();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form
      className="hub-token-form"
      aria-label="Hugging Face token"
      onSubmit={(e) => {
        e.preventDefault();
        if (token.trim()) void save();
      }}
    >
      {message && !licenceUrl && <p>{message}</p>}
      {licenceUrl && (
        <p>
          Accept the licence at{' '}
          <a href={licenceUrl} target="_blank" rel="noreferrer">
            {licenceUrl}
          </a>{' '}
          with your Hugging Face account, then give an access token of that account (Settings → Access Tokens on the Hub; read access is enough).
        </p>
      )}
      <label>
        <span>Access token</span>
        <input type="password" autoComplete="off" value={token} placeholder="hf_…" onChange={(e) => setToken(e.target.value)} />
      </label>
      <button type="submit" disabled={saving || !token.trim()}>
        {saving ? 'Saving…' : 'Save token'}
      </button>
      {error && (
        <p className="error-box" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
