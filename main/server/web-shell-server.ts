// The web shell: the app's API and renderer over HTTP on 127.0.0.1, for a browser instead of
// the Electron window. The same services answer both; this file is transport only.
//
// Wire format (what the browser transport implements):
// - Every request needs the launch token, or it gets 401 (text/plain): `Authorization: Bearer
//   TOKEN`, or the cookie `hearth_token_<PORT>`, which the server sets (HttpOnly,
//   SameSite=Strict, Path=/) when a page is opened as `/?token=TOKEN`, answering 303 to the
//   same address without the token. A Host other than 127.0.0.1:PORT or localhost:PORT, or an
//   Origin other than http://127.0.0.1:PORT or http://localhost:PORT, gets 403 (text/plain);
//   with the local network on (options.localNetwork), the machine's own names there count too.
//   Same-origin fetch() and EventSource send the cookie by themselves. Under /api/ these
//   refusals are JSON envelopes (below) like every other API answer.
// - POST /api/<method> (a key of API in main/common/contracts/api.ts), header
//   `Content-Type: application/json`, body: the method's input as JSON (an empty body is {}),
//   at most MAX_BODY_BYTES (4 MiB). The answer's body is always JSON, an ApiResult envelope:
//   `{ "ok": true, "value": <output> }` or `{ "ok": false, "error": { "code", "message" } }`.
//   Status 200 for every answer of the method itself, failures included (invalid-input for an
//   input that fails its schema, the service's ApiError code, 'internal' for anything else);
//   the transport's own failures have their status too, with an envelope: 400 (body not JSON),
//   404 (no such method, code 'not-found'), 405 (not POST), 413 (too large, answered at once;
//   the connection closes once the client stops sending), 415 (not JSON). A request Node cannot
//   parse as HTTP gets its 400 (or 408, 413, 431) with an envelope too (client-error.ts).
// - GET /api/events: Server-Sent Events (text/event-stream). Each ApiEvent is one message
//   (the default "message" type) whose data is the event as JSON; lines starting with ':'
//   are comments (a heartbeat every 15 s). The stream has no replay: after a reconnect the
//   page reloads what it shows.
// - Any other GET/HEAD: a file of the renderer bundle (staticDir); "/" is index.html, or a page
//   saying the renderer is not built.
// - /v1/...: the OpenAI-compatible API (main/server/openai/), when the shell is given one: its own
//   access rules (the persistent API key as `Authorization: Bearer`, no cookie, CORS only for
//   listed origins) and OpenAI's error shape instead of the envelope.
// Every response carries a strict Content-Security-Policy and the other security headers
// (security-headers.ts); API answers are never cached.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkAccessToken, newAccessToken } from './access-token.ts';
import type { ApiBackend } from './api-backend.ts';
import { ClientGoneError, handleApiCall, sendApiFailure } from './api-route.ts';
import { answerClientError } from './client-error.ts';
import type { ApiCallLog as ApiLog } from '../common/contracts/api-call.ts';
import { openEventStream } from './event-stream.ts';
import { guardRequest, splitRequestTarget } from './request-guard.ts';
import { sendText, setSecurityHeaders } from './security-headers.ts';
import { serveStaticFile } from './static-files.ts';
import { handleOpenAiRequest, isOpenAiPath, OPENAI_PATH_PREFIX, type OpenAiEndpoint } from './openai/openai-routes.ts';

/** Loopback only, unless the person lets the local network in: the web shell is for the person at this machine. */
export const WEB_SHELL_HOST = '127.0.0.1';
/** Every IPv4 interface, when the person turned on the local network. */
export const LOCAL_NETWORK_HOST = '0.0.0.0';

export interface WebShellOptions {
  backend: ApiBackend;
  /** 0 picks a free port. */
  port: number;
  /** The renderer bundle (app/renderer). */
  staticDir: string;
  /** Random per launch when left out (the normal case; tests fix it). */
  token?: string;
  /** Between SSE heartbeat comments; 15 s unless a test needs it shorter. */
  heartbeatMs?: number;
  /** Where internal errors are written, with details the page never sees. Default: stderr. */
  log?: ApiLog;
  /** How long a request (headers and body) may take to arrive before a 408; 30 s unless a test needs it shorter. */
  requestTimeoutMs?: number;
  /** Serves the OpenAI-compatible API under /v1 when given. */
  openai?: OpenAiEndpoint;
  /**
   * The person turned on the local network: listen on every interface and answer to these names
   * too (local-network.ts); the token and the API key are still required. Default: 127.0.0.1 only.
   */
  localNetwork?: { hosts: readonly string[] };
}

export interface WebShell {
  /** The address to open: http://127.0.0.1:PORT/?token=TOKEN */
  url: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  port: number;
  token: string;
  /** http://127.0.0.1:PORT/v1 when the OpenAI-compatible API is served, else null. */
  apiBaseUrl: string | null;
  /** The listening socket's address, as the OS reports it (127.0.0.1, or 0.0.0.0 with the local network on). */
  address: AddressInfo;
  /** The names other machines reach it by; empty when it serves 127.0.0.1 only. */
  networkHosts: string[];
  /** Ends the event streams and open connections and stops listening. Does not close the backend. */
  close(): Promise<void>;
}

/** The server could not start: the message says why and what to do. */
export class WebShellError extends Error {
  override name = 'WebShellError';
}

export async function startWebShell(options: WebShellOptions): Promise<WebShell> {
  const token = options.token ?? newAccessToken();
  checkAccessToken(token);
  const log: ApiLog = options.log ?? ((message) => console.error(`hearth serve: ${message}`));
  const openStreams = new Set<() => void>();
  const networkHosts = options.localNetwork ? [...new Set(options.localNetwork.hosts.map((host) => host.toLowerCase()))] : [];
  let port = 0;

  // Without Host, Node itself would answer a bare 400; the guard answers instead (403, with a reason and, under /api/, an envelope).
  // A request (headers and body, at most 4 MiB over loopback) that has not arrived in 30 s never
  // will: answer 408 then rather than after Node's default 300 s (checked every second, not every
  // 30). It does not cut the event stream, whose request is complete at once however long its
  // response goes on.
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const serverOptions = { requireHostHeader: false, requestTimeout, headersTimeout: requestTimeout, connectionsCheckingInterval: Math.min(1000, requestTimeout) };
  const server = createServer(serverOptions, (request, response) => {
    answer(request, response).catch((error: unknown) => {
      if (error instanceof ClientGoneError) return void response.destroy(); // no one is left to answer
      log(`${request.method} ${request.url} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (response.headersSent) return void response.destroy();
      const message = 'internal error; the server log has the details';
      if (isApiPath(request)) sendApiFailure(response, 500, message, {}, 'internal');
      else sendText(response, 500, message);
    });
  });
  server.on('clientError', answerClientError);

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    setSecurityHeaders(response);
    const target = splitRequestTarget(request.url ?? '/').path;
    if (options.openai && isOpenAiPath(target)) return handleOpenAiRequest(request, response, target, options.openai, port, log, networkHosts);
    const verdict = guardRequest(request, { port, token, networkHosts });
    if (verdict.kind === 'deny') {
      return isApiPath(request) ? sendApiFailure(response, verdict.status, verdict.reason) : sendText(response, verdict.status, verdict.reason);
    }
    if (verdict.kind === 'redirect') {
      response.writeHead(303, { Location: verdict.location, 'Set-Cookie': verdict.setCookie, 'Cache-Control': 'no-store' });
      return void response.end();
    }

    const { path } = splitRequestTarget(request.url ?? '/');
    if (path === '/api/events') {
      if (request.method !== 'GET') return sendApiFailure(response, 405, 'the event stream is read with GET', { Allow: 'GET' });
      const stop = openEventStream(response, options.backend, { heartbeatMs: options.heartbeatMs, log });
      openStreams.add(stop);
      response.on('close', () => openStreams.delete(stop));
      return;
    }
    if (path.startsWith('/api/')) return handleApiCall(request, response, path.slice('/api/'.length), options.backend, log);
    return serveStaticFile(request, response, path, options.staticDir);
  }

  const address = await listen(server, options.port, options.localNetwork ? LOCAL_NETWORK_HOST : WEB_SHELL_HOST);
  port = address.port;
  const origin = `http://${WEB_SHELL_HOST}:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    token,
    apiBaseUrl: options.openai ? `${origin}${OPENAI_PATH_PREFIX}` : null,
    address,
    networkHosts,
    async close() {
      for (const stop of openStreams) stop();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
  };
}

function isApiPath(request: IncomingMessage): boolean {
  return splitRequestTarget(request.url ?? '/').path.startsWith('/api/');
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new WebShellError(`port ${port} on ${host} is in use: choose another with --port, or --port 0 for a free one`));
      else if (error.code === 'EACCES') reject(new WebShellError(`port ${port} needs privileges this user does not have: choose a port above 1023, or --port 0`));
      else reject(error);
    });
    server.listen(port, host, () => resolve(server.address() as AddressInfo));
  });
}
