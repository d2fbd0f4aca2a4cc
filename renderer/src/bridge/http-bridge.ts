// The web shell's transport: each call is `POST /api/<method>` with the input as JSON, and the
// events come from one Server-Sent Events stream at `/api/events` (each event a default
// `message` whose data is one ApiEvent as JSON). The page is same-origin with the API and holds
// the HttpOnly session cookie the server set when it redirected from `?token=…`, so the cookie
// authenticates both; nothing here ever sees the token.
import type { BridgeEnvelope, HearthBridge } from './hearth-bridge.ts';

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 15_000;

function failure(code: string, message: string): BridgeEnvelope {
  return { ok: false, error: { code, message } };
}

async function postCall(method: string, input: unknown): Promise<BridgeEnvelope> {
  let response: Response;
  try {
    response = await fetch(`/api/${encodeURIComponent(method)}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input ?? {}),
    });
  } catch (error) {
    return failure('internal', `Could not reach the Hearth server (${String(error)}). Is \`hearth serve\` still running?`);
  }
  const text = await response.text();
  try {
    // The server answers with an envelope even for errors (4xx/5xx), so the body decides.
    return JSON.parse(text) as unknown;
  } catch {
    // Only a proxy or another server answers without an envelope (a missing token gets one, with
    // the server's advice to open the printed address).
    return failure('internal', `The Hearth server answered ${response.status} ${response.statusText} to ${method}: ${text.slice(0, 200)}`);
  }
}

/**
 * One EventSource shared by all listeners, opened on the first subscription and closed after the
 * last. EventSource retries dropped connections by itself; when it gives up (the server refused,
 * e.g. restarted with a new token), it is reopened with a growing delay.
 */
function createEventStream() {
  const listeners = new Set<(event: unknown) => void>();
  let source: EventSource | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let retryMs = FIRST_RETRY_MS;

  function open(): void {
    source = new EventSource('/api/events');
    source.onopen = () => {
      retryMs = FIRST_RETRY_MS;
    };
    source.onmessage = (message: MessageEvent<string>) => {
      let event: unknown;
      try {
        event = JSON.parse(message.data);
      } catch {
        console.warn('Hearth: ignored an event that is not JSON:', message.data);
        return;
      }
      for (const listener of listeners) listener(event);
    };
    source.onerror = () => {
      if (source?.readyState !== EventSource.CLOSED) return; // the browser is retrying by itself
      source = null;
      retryTimer = setTimeout(() => {
        retryTimer = null;
        if (listeners.size > 0) open();
      }, retryMs);
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    };
  }

  function close(): void {
    source?.close();
    source = null;
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
  }

  return {
    subscribe(listener: (event: unknown) => void): () => void {
      listeners.add(listener);
      if (!source && !retryTimer) open();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) close();
      };
    },
  };
}

/** The HTTP + SSE bridge for the web shell; same origin as the page, which the server serves. */
export function createHttpBridge(): HearthBridge {
  const events = createEventStream();
  return { call: postCall, subscribe: events.subscribe };
}
