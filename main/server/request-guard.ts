// Who may talk to the web shell. Checked before anything else, in this order:
// 1. Host must name this server (127.0.0.1:PORT or localhost:PORT, and the machine's own names
//    on the local network when the person turned that on), else 403: a page on another domain
//    that rebinds its DNS name to 127.0.0.1 (CVE-2024-28224 against Ollama) sends its own name
//    as Host.
// 2. Origin, when the browser sends one, must be this server's own, else 403: no other site
//    may call the API from its pages, and there are no CORS headers to loosen that.
// 3. The access token, from an `Authorization: Bearer` header, this server's cookie, or a
//    `?token=` on a page URL, else 401. A page URL's token is moved into an HttpOnly,
//    SameSite=Strict cookie and the address is reloaded without it, so it does not linger in
//    the address bar, the history or a screenshot.
import type { IncomingMessage } from 'node:http';
import { tokenCookieName, tokensEqual } from './access-token.ts';

export interface GuardSettings {
  port: number;
  token: string;
  /** The names other machines reach this one by, when the server serves the local network (local-network.ts). */
  networkHosts?: readonly string[];
}

export type GuardVerdict =
  | { kind: 'allow' }
  /** The page URL carried the right token: set the cookie and load the same address without it. */
  | { kind: 'redirect'; location: string; setCookie: string }
  | { kind: 'deny'; status: 401 | 403; reason: string };

const TOKEN_PARAMETER = 'token';

export function guardRequest(request: IncomingMessage, { port, token, networkHosts = [] }: GuardSettings): GuardVerdict {
  const origins = ownOrigins(port, networkHosts);
  const host = request.headers.host?.toLowerCase();
  if (!host || !origins.some((origin) => origin === `http://${host}`)) {
    return { kind: 'deny', status: 403, reason: `this server answers only to ${ownHostsText(port, networkHosts)}, not to Host '${host ?? ''}'` };
  }
  const origin = request.headers.origin;
  if (origin !== undefined && !origins.includes(origin.toLowerCase())) {
    return { kind: 'deny', status: 403, reason: `requests from pages of other origins ('${origin}') are refused` };
  }

  const { path, query } = splitRequestTarget(request.url ?? '/');
  const isPage = (request.method === 'GET' || request.method === 'HEAD') && !path.startsWith('/api/');
  if (isPage && query.has(TOKEN_PARAMETER)) {
    if (!tokensEqual(query.get(TOKEN_PARAMETER) ?? '', token)) return unauthorized('the token in the address is wrong');
    query.delete(TOKEN_PARAMETER);
    const rest = query.toString();
    return {
      kind: 'redirect',
      location: `${singleLeadingSlash(path)}${rest ? `?${rest}` : ''}`,
      setCookie: `${tokenCookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`,
    };
  }

  const given = bearerToken(request) ?? cookieValue(request, tokenCookieName(port));
  if (given === undefined) return unauthorized('no access token');
  if (!tokensEqual(given, token)) return unauthorized('the access token is wrong');
  return { kind: 'allow' };
}

/** The origins a browser shows for this server: the two names of the loopback address, and its names on the local network when it serves it. */
export function ownOrigins(port: number, networkHosts: readonly string[] = []): string[] {
  return ['127.0.0.1', 'localhost', ...networkHosts].map((host) => `http://${host.includes(':') ? `[${host}]` : host}:${port}`);
}

/** "127.0.0.1:PORT and localhost:PORT" (and the local network's names), for refusals. */
export function ownHostsText(port: number, networkHosts: readonly string[] = []): string {
  const hosts = ownOrigins(port, networkHosts).map((origin) => origin.slice('http://'.length));
  return hosts.length === 2 ? hosts.join(' and ') : `${hosts.slice(0, -1).join(', ')} and ${hosts[hosts.length - 1]}`;
}

/** The raw path (not normalised: the static files check it themselves) and the query. */
export function splitRequestTarget(target: string): { path: string; query: URLSearchParams } {
  const mark = target.indexOf('?');
  return mark < 0 ? { path: target, query: new URLSearchParams() } : { path: target.slice(0, mark), query: new URLSearchParams(target.slice(mark + 1)) };
}

function unauthorized(why: string): GuardVerdict {
  return { kind: 'deny', status: 401, reason: `${why}: open the address that \`hearth serve\` printed (it ends in ?token=...)` };
}

/** "//evil.example" in a Location header would leave the site; keep the redirect on this server. */
function singleLeadingSlash(path: string): string {
  return `/${path.replace(/^[/\\]+/, '')}`;
}

function bearerToken(request: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

function cookieValue(request: IncomingMessage, name: string): string | undefined {
  for (const pair of (request.headers.cookie ?? '').split(';')) {
    const equals = pair.indexOf('=');
    if (equals > 0 && pair.slice(0, equals).trim() === name) return pair.slice(equals + 1).trim();
  }
  return undefined;
}
