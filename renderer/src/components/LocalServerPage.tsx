// The "Local server" page: where Hearth's OpenAI-compatible API listens (`hearth serve` prints
// the same line), the key clients send, which browser origins may call it, and whether other
// computers on the local network may reach it (off: 127.0.0.1 only; on, a warning says what that
// opens). The key is kept across launches, unlike the web shell's per-launch token, whose
// address is shown beside it when this page is served by `hearth serve`.
import { useCallback, useEffect, useState } from 'react';
import type { LocalServerInfo } from '../../../main/common/contracts/local-server.ts';
import type { ApiClient } from '../api/api-client.ts';
import { errorMessage } from '../api/api-client.ts';
import './LocalServerPage.css';

/** ":PORT" of a base URL, for the addresses on the local network. */
function portOf(url: string | null): string {
  const port = url === null ? '' : new URL(url).port;
  return port === '' ? '' : `:${port}`;
}

export function LocalServerPage({ client }: { client: ApiClient }) {
  const [info, setInfo] = useState<LocalServerInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [origins, setOrigins] = useState('');
  const [copied, setCopied] = useState<string | null>(null);
  const [port, setPort] = useState('');

  const show = useCallback((next: LocalServerInfo) => {
    setInfo(next);
    setOrigins(next.corsOrigins.join('\n'));
    setPort(String(next.apiPort));
  }, []);
  const run = useCallback(
    (work: Promise<LocalServerInfo>) => {
      setError(null);
      work.then(show).catch((e: unknown) => setError(errorMessage(e)));
    },
    [show],
  );
  useEffect(() => run(client.call('server.info', {})), [client, run]);

  const copy = (label: string, text: string) => {
    navigator.clipboard.writeText(text).then(
      () => setCopied(label),
      (e: unknown) => setError(`Could not copy: ${errorMessage(e)}`),
    );
  };

  return (
    <section className="local-server" aria-labelledby="local-server-title">
      <h2 id="local-server-title">Local server</h2>
      <p>
        Editors, agents and scripts that speak OpenAI&apos;s API can use your models through Hearth: point them at the base URL below with the API key.{' '}
        {info?.localNetwork ? 'Other computers on your local network may reach it too (below).' : 'Only programs on this computer can reach it (127.0.0.1).'}
      </p>
      {error && (
        <p className="error-box" role="alert">
          {error}
        </p>
      )}
      {!info && !error && <p className="muted">Loading…</p>}
      {info && (
        <>
          <dl>
            <dt>Base URL</dt>
            <dd>
              {info.apiBaseUrl ? (
                <>
                  <code aria-label="Base URL">{info.apiBaseUrl}</code>{' '}
                  <button type="button" onClick={() => copy('url', info.apiBaseUrl!)}>
                    {copied === 'url' ? 'Copied' : 'Copy'}
                  </button>
                </>
              ) : (
                <span className="muted">
                  Not served now: the server could not start (the app&apos;s log says why; another port may help). <code>hearth serve</code> also serves it, and prints
                  the address as &quot;OpenAI-compatible API: http://127.0.0.1:PORT/v1&quot;.
                </span>
              )}
            </dd>
            <dt>Port</dt>
            <dd>
              <input aria-label="API port" type="number" min={1024} max={65535} value={port} onChange={(e) => setPort(e.target.value)} />{' '}
              <button type="button" disabled={port === String(info.apiPort)} onClick={() => run(client.call('server.setApiPort', { port: Number(port) }))}>
                Save port
              </button>
              <div className="muted">
                Where the desktop app serves the API, from its next start (the next free port when this one is taken). <code>hearth serve</code> serves it on its own
                port instead.
              </div>
            </dd>
            <dt>API key</dt>
            <dd>
              <code aria-label="API key">{info.apiKey}</code>{' '}
              <button type="button" onClick={() => copy('key', info.apiKey)}>
                {copied === 'key' ? 'Copied' : 'Copy'}
              </button>{' '}
              <button
                type="button"
                onClick={() => {
                  if (window.confirm('Make a new key? Programs using the current key will be refused until you give them the new one.')) run(client.call('server.newApiKey', {}));
                }}
              >
                New key
              </button>
            </dd>
            {info.webShellUrl && (
              <>
                <dt>Web shell</dt>
                <dd>
                  <code aria-label="Web shell address">{info.webShellUrl}</code>{' '}
                  <button type="button" onClick={() => copy('shell', info.webShellUrl!)}>
                    {copied === 'shell' ? 'Copied' : 'Copy'}
                  </button>
                  <div className="muted">The whole app in a browser. Its token is new at each launch of hearth serve, and opens everything: share it with no one.</div>
                </dd>
              </>
            )}
          </dl>
          <h3>Local network</h3>
          <label>
            <input
              type="checkbox"
              checked={info.localNetwork}
              onChange={(e) => {
                const enabled = e.target.checked;
                if (enabled && !window.confirm('Let other computers on your local network reach Hearth? They still need the API key (and the web shell its token).')) return;
                run(client.call('server.setLocalNetwork', { enabled }));
              }}
            />{' '}
            Let other computers on my local network use it
          </label>
          {info.localNetwork && (
            <p className="error-box" role="alert">
              Warning: anyone on your local network (a café&apos;s or an office&apos;s Wi-Fi too) can reach Hearth. The API key is still required, but whoever has
              it can run your models, and whoever has the web shell&apos;s address can use the whole app. Turn this off when you do not need it.
            </p>
          )}
          {info.networkHosts.length > 0 && (
            <p>
              Other computers reach it at{' '}
              {info.networkHosts.map((host, i) => (
                <span key={host}>
                  {i > 0 && ', '}
                  <code>{`http://${host}${portOf(info.apiBaseUrl)}/v1`}</code>
                </span>
              ))}
              .
            </p>
          )}
          {info.apiBaseUrl && info.localNetwork !== info.networkHosts.length > 0 && (
            <p className="muted" role="status">
              This takes effect when Hearth (or hearth serve) next starts: it serves {info.networkHosts.length > 0 ? 'the local network' : '127.0.0.1 only'} until then.
            </p>
          )}
          {!info.apiBaseUrl && info.localNetwork && <p className="muted">The server will listen on the local network from its next start.</p>}
          {info.apiBaseUrl && (
            <>
              <h3>Try it</h3>
              <pre className="local-server-example">{`curl ${info.apiBaseUrl}/models -H "Authorization: Bearer ${info.apiKey}"`}</pre>
            </>
          )}
          <h3>Web pages allowed to call it</h3>
          <p className="muted">
            One origin a line (e.g. http://localhost:3000). Pages of these origins may call the API from a browser (CORS); they still need the key. None by default.
          </p>
          <textarea aria-label="Allowed origins" rows={3} value={origins} onChange={(e) => setOrigins(e.target.value)} />
          <div>
            <button
              type="button"
              onClick={() =>
                run(
                  client.call('server.setCorsOrigins', {
                    origins: origins
                      .split('\n')
                      .map((line) => line.trim())
                      .filter((line) => line !== ''),
                  }),
                )
              }
            >
              Save origins
            </button>
          </div>
        </>
      )}
    </section>
  );
}
