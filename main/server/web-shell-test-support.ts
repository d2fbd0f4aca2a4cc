// Test support for the web shell's tests only: a fake backend whose handlers and events the
// test controls, a server on a random port with a known token, and raw HTTP requests (Node's
// http client sends paths as written, so "/../x" reaches the server unnormalised).
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { ApiError } from '../common/contracts/api-error.ts';
import { API_METHODS, type ApiHandlers } from '../common/contracts/api.ts';
import type { ApiEvent } from '../common/contracts/events.ts';
import type { ApiBackend } from './api-backend.ts';
import { startWebShell, type WebShell } from './web-shell-server.ts';

export const TEST_TOKEN = 'test-token-0123456789abcdefghijklmnopqrstuvwxyz';

export interface FakeBackend {
  backend: ApiBackend;
  /** Sends an event to every subscriber; `unknown` so tests can send malformed ones. */
  emit(event: unknown): void;
  subscriberCount(): number;
}

/** Handlers not given throw an ApiError naming the method, so an unexpected call is visible. */
export function fakeBackend(handlers: Partial<Record<keyof ApiHandlers, (input: never) => Promise<unknown>>> = {}): FakeBackend {
  const all = Object.fromEntries(
    API_METHODS.map((method) => [method, handlers[method] ?? (async () => Promise.reject(new ApiError('internal', `the fake backend has no ${method}`)))]),
  ) as unknown as ApiHandlers;
  const listeners = new Set<(event: ApiEvent) => void>();
  return {
    backend: {
      handlers: all,
      events: {
        subscribe(listener) {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
      },
    },
    emit: (event) => listeners.forEach((listener) => listener(event as ApiEvent)),
    subscriberCount: () => listeners.size,
  };
}

export interface TestShellOptions {
  staticDir?: string;
  heartbeatMs?: number;
  requestTimeoutMs?: number;
}

/** A web shell on a random port with TEST_TOKEN; its log lines are collected in `logs`. */
export async function startTestShell(backend: ApiBackend, options: TestShellOptions = {}): Promise<WebShell & { logs: string[] }> {
  const logs: string[] = [];
  const shell = await startWebShell({
    backend,
    port: 0,
    staticDir: options.staticDir ?? '/nonexistent-hearth-renderer',
    token: TEST_TOKEN,
    heartbeatMs: options.heartbeatMs,
    requestTimeoutMs: options.requestTimeoutMs,
    log: (line) => logs.push(line),
  });
  return Object.assign(shell, { logs });
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request to the shell; Host is 127.0.0.1:PORT unless `headers` says otherwise. */
export function send(shell: Pick<WebShell, 'port'>, { method = 'GET', path, headers = {}, body }: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port: shell.port, method, path, headers, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

export const bearer = (token = TEST_TOKEN) => ({ Authorization: `Bearer ${token}` });

/** A JSON API call with the bearer token. */
export function callApi(shell: WebShell, method: string, input: unknown): Promise<RawResponse> {
  return send(shell, {
    method: 'POST',
    path: `/api/${method}`,
    headers: { ...bearer(), 'Content-Type': 'application/json' },
    body: JSON.stringify(input),
  });
}
