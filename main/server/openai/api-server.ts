// The OpenAI-compatible API on a server of its own, serving /v1 and nothing else: how the
// desktop app (which has no web shell) reaches editors, agents and scripts. The web shell
// (`hearth serve`) serves /v1 on its own port instead. Requests are answered exactly as the web
// shell's /v1 answers them (openai-routes.ts: the key, the Host/Origin checks, CORS only for
// listed origins); anything outside /v1 (the app's /api, its pages) is a 404 here, so the API key
// never opens more than the API.
//
// It listens on the port in the settings, on 127.0.0.1 (every interface with the local network
// on); when that port is taken (another Hearth, LM Studio...) it takes the next free one, so the
// address it tells (baseUrl, and the Local server page) is the one to use.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiCallLog } from '../../common/contracts/api-call.ts';
import type { LocalServerSettings } from '../../services/local-server-settings.ts';
import { ClientGoneError } from '../api-route.ts';
import { answerClientError } from '../client-error.ts';
import { localNetworkHosts } from '../local-network.ts';
import { splitRequestTarget } from '../request-guard.ts';
import { setSecurityHeaders } from '../security-headers.ts';
import { LOCAL_NETWORK_HOST, WEB_SHELL_HOST, WebShellError } from '../web-shell-server.ts';
import { OpenAiError, sendOpenAiError } from './openai-error.ts';
import { handleOpenAiRequest, isOpenAiPath, OPENAI_PATH_PREFIX, type OpenAiEndpoint } from './openai-routes.ts';

/** How many ports from the chosen one are tried before giving up. */
export const API_PORT_ATTEMPTS = 20;

export interface ApiServerOptions {
  openai: OpenAiEndpoint;
  /** The port to try first, then the next ones while they are taken; 0 picks any free port. */
  port: number;
  /** The person turned on the local network: listen on every interface and answer to these names too. */
  localNetwork?: { hosts: readonly string[] };
  /** Where internal errors are written. Default: stderr. */
  log?: ApiCallLog;
  /** How long a request may take to arrive before a 408; 30 s unless a test needs it shorter. */
  requestTimeoutMs?: number;
}

export interface ApiServer {
  /** http://127.0.0.1:PORT/v1 */
  baseUrl: string;
  port: number;
  /** The listening socket's address (127.0.0.1, or 0.0.0.0 with the local network on). */
  address: AddressInfo;
  /** The names other machines reach it by; empty when it serves 127.0.0.1 only. */
  networkHosts: string[];
  close(): Promise<void>;
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const log: ApiCallLog = options.log ?? ((message) => console.error(`hearth api: ${message}`));
  const networkHosts = options.localNetwork ? [...new Set(options.localNetwork.hosts.map((host) => host.toLowerCase()))] : [];
  let port = 0;

  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const serverOptions = { requireHostHeader: false, requestTimeout, headersTimeout: requestTimeout, connectionsCheckingInterval: Math.min(1000, requestTimeout) };
  const server = createServer(serverOptions, (request, response) => {
    answer(request, response).catch((error: unknown) => {
      if (error instanceof ClientGoneError) return void response.destroy();
      log(`${request.method} ${request.url} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (response.headersSent) return void response.destroy();
      sendOpenAiError(response, new OpenAiError(500, 'Internal error; the server log has the details.', { type: 'server_error' }));
    });
  });
  server.on('clientError', answerClientError);

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    setSecurityHeaders(response);
    const { path } = splitRequestTarget(request.url ?? '/');
    if (isOpenAiPath(path)) return handleOpenAiRequest(request, response, path, options.openai, port, log, networkHosts);
    sendOpenAiError(
      response,
      new OpenAiError(404, `This port serves only Hearth's OpenAI-compatible API, under ${OPENAI_PATH_PREFIX} (GET /v1/models, POST /v1/chat/completions, POST /v1/completions).`, {
        code: 'unknown_url',
      }),
    );
  }

  const address = await listenFromPort(server, options.port, options.localNetwork ? LOCAL_NETWORK_HOST : WEB_SHELL_HOST);
  port = address.port;
  return {
    baseUrl: `http://${WEB_SHELL_HOST}:${port}${OPENAI_PATH_PREFIX}`,
    port,
    address,
    networkHosts,
    async close() {
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
  };
}

/**
 * The desktop app's API server, from the local server's settings (port, local network, key and
 * origins, read per request so a new key or origin applies at once), announced for the Local
 * server page.
 */
export async function startApiServerFromSettings(completions: OpenAiEndpoint['completions'], settings: LocalServerSettings, log?: ApiCallLog): Promise<ApiServer> {
  const server = await startApiServer({
    openai: { completions, apiKey: () => settings.apiKey(), corsOrigins: () => settings.corsOrigins() },
    port: settings.apiPort(),
    localNetwork: settings.localNetwork() ? { hosts: localNetworkHosts() } : undefined,
    log,
  });
  settings.announce({ apiBaseUrl: server.baseUrl, webShellUrl: null, networkHosts: server.networkHosts });
  const close = server.close;
  return {
    ...server,
    async close() {
      settings.announce(null);
      await close();
    },
  };
}

/** Listens on `first`, or the next port up while one is taken (up to API_PORT_ATTEMPTS). */
async function listenFromPort(server: Server, first: number, host: string): Promise<AddressInfo> {
  const last = first === 0 ? 0 : Math.min(65535, first + API_PORT_ATTEMPTS - 1);
  for (let port = first; ; port++) {
    try {
      return await listen(server, port, host);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' && port < last) continue;
      if (code === 'EADDRINUSE') throw new WebShellError(`ports ${first} to ${last} on ${host} are all in use: choose another port on the Local server page`);
      if (code === 'EACCES') throw new WebShellError(`port ${port} needs privileges this user does not have: choose a port above 1023 on the Local server page`);
      throw error;
    }
  }
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}
