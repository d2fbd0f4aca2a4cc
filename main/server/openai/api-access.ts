// Who may call /v1. API clients are programs on this machine (editors, scripts, agents): they
// send no Origin and no cookie, only the key. So, in this order:
// 1. Host must name this server (127.0.0.1:PORT or localhost:PORT, and the machine's names on
//    the local network when the person turned that on), as for the web shell: a page whose DNS
//    name was rebound to 127.0.0.1 sends its own name as Host (403).
// 2. Origin, when a browser sends one, must be this server's own or one the person listed
//    (CORS), else 403; a listed origin gets the CORS headers, its preflight (OPTIONS) a 204.
// 3. `Authorization: Bearer KEY` with the persistent API key (compared in constant time), else
//    401 in OpenAI's error shape. The web shell's per-launch token does not open /v1, and the
//    API key does not open the web shell.
import type { IncomingMessage } from 'node:http';
import { tokensEqual } from '../access-token.ts';
import { ownHostsText, ownOrigins } from '../request-guard.ts';
import { OpenAiError } from './openai-error.ts';

export interface ApiAccessSettings {
  port: number;
  apiKey: string;
  /** Origins (lower case) whose pages may call the API. */
  corsOrigins: readonly string[];
  /** The names other machines reach this one by, when the server serves the local network. */
  networkHosts?: readonly string[];
}

export type ApiAccessVerdict =
  | { kind: 'allow'; headers: Record<string, string> }
  /** A CORS preflight from a listed origin: answer 204 with these headers. */
  | { kind: 'preflight'; headers: Record<string, string> }
  | { kind: 'deny'; error: OpenAiError; headers: Record<string, string> };

export function checkApiAccess(request: IncomingMessage, settings: ApiAccessSettings): ApiAccessVerdict {
  const own = ownOrigins(settings.port, settings.networkHosts);
  const host = request.headers.host?.toLowerCase();
  if (!host || !own.includes(`http://${host}`)) {
    return deny(new OpenAiError(403, `This server answers only to ${ownHostsText(settings.port, settings.networkHosts)}, not to Host '${host ?? ''}'.`, { type: 'permission_error' }));
  }
  const origin = request.headers.origin?.toLowerCase();
  const cors = origin !== undefined && !own.includes(origin) ? corsHeaders(origin, settings.corsOrigins) : {};
  if (origin !== undefined && !own.includes(origin) && !settings.corsOrigins.includes(origin)) {
    return deny(
      new OpenAiError(403, `Requests from pages of ${origin} are refused: add it to the allowed origins on Hearth's Local server page to let that page call the API.`, {
        type: 'permission_error',
      }),
    );
  }
  if (request.method === 'OPTIONS' && origin !== undefined) return { kind: 'preflight', headers: { ...cors, ...preflightHeaders(request) } };

  const key = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
  if (key === undefined) {
    return deny(new OpenAiError(401, "No API key: send 'Authorization: Bearer KEY' with the key that `hearth serve` printed (also on Hearth's Local server page).", { code: 'invalid_api_key' }), cors);
  }
  if (!tokensEqual(key, settings.apiKey)) {
    return deny(new OpenAiError(401, "Incorrect API key provided: use the key that `hearth serve` printed (also on Hearth's Local server page).", { code: 'invalid_api_key' }), cors);
  }
  return { kind: 'allow', headers: cors };
}

function deny(error: OpenAiError, headers: Record<string, string> = {}): ApiAccessVerdict {
  return { kind: 'deny', error, headers };
}

/** The CORS headers for a listed origin (none for any other). */
function corsHeaders(origin: string, allowed: readonly string[]): Record<string, string> {
  if (!allowed.includes(origin)) return {};
  return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
}

function preflightHeaders(request: IncomingMessage): Record<string, string> {
  const requested = request.headers['access-control-request-headers'];
  return {
    'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
    'Access-Control-Allow-Headers': typeof requested === 'string' && /^[A-Za-z0-9_,\s-]*$/.test(requested) ? requested : 'Authorization, Content-Type',
    'Access-Control-Max-Age': '600',
  };
}
