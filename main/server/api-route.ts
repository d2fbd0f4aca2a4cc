// POST /api/<method>: one API call over HTTP. The body is the method's input as JSON; the
// answer is always an ApiResult envelope. The input is checked against API[method].input here,
// where it is received, and the handler's answer against API[method].output before it leaves,
// so a bug in a service shows up as an 'internal' error and never as malformed data in the UI.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isApiMethod } from '../common/contracts/api.ts';
import { answerApiCall, type ApiCallLog, type ApiEnvelope } from '../common/contracts/api-call.ts';
import type { ApiErrorCode } from '../common/contracts/api-error.ts';
import type { ApiBackend } from './api-backend.ts';

/**
 * The largest body accepted. A chat message may hold 1,000,000 UTF-16 units, which is at most
 * 3 MB of UTF-8 (3 bytes per unit); JSON around it adds little.
 */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * After a 413, how much more of the body is read (and thrown away) while the client is still
 * sending it, and for how long, before the connection is closed anyway. See refuseTooLarge.
 */
export const MAX_DRAIN_BYTES = 64 * 1024 * 1024;
export const MAX_DRAIN_MS = 10_000;

/** The client closed the connection before its body arrived: there is no one left to answer. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError';
}

export async function handleApiCall(
  request: IncomingMessage,
  response: ServerResponse,
  methodName: string,
  backend: ApiBackend,
  log: ApiCallLog,
): Promise<void> {
  if (request.method !== 'POST') {
    return sendEnvelope(response, 405, failure('invalid-input', `call API methods with POST, not ${request.method}`), { Allow: 'POST' });
  }
  if (!isApiMethod(methodName)) {
    return sendEnvelope(response, 404, failure('not-found', `there is no API method '${methodName}'`));
  }
  const contentType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  // Only JSON: a page cannot send it to another origin without a CORS preflight, which this
  // server never grants (a second wall behind the Origin check).
  if (contentType !== 'application/json') {
    return sendEnvelope(response, 415, failure('invalid-input', `send the input as JSON with 'Content-Type: application/json', not '${contentType}'`));
  }

  const body = await readBody(request, MAX_BODY_BYTES);
  if (body === 'too-large') return refuseTooLarge(request, response);
  let input: unknown;
  try {
    input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch (error) {
    return sendEnvelope(response, 400, failure('invalid-input', `the request body is not valid JSON: ${(error as Error).message}`));
  }
  sendEnvelope(response, 200, await answerApiCall(backend.handlers, methodName, input, log));
}

type Envelope = ApiEnvelope;

function failure(code: ApiErrorCode, message: string): Envelope {
  return { ok: false, error: { code, message } };
}

/**
 * A failure of the transport itself (refused by the guard, a request that is not HTTP...) in the
 * API's envelope, so that every answer under /api/ is JSON the page can read.
 */
export function sendApiFailure(response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}, code: ApiErrorCode = 'invalid-input'): void {
  sendEnvelope(response, status, failure(code, message), headers);
}

function sendEnvelope(response: ServerResponse, status: number, envelope: Envelope, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  response.end(JSON.stringify(envelope));
}

/**
 * 413, sent at once, then the connection closed, but only once the client has stopped sending.
 * Closing a socket whose unread data is still arriving makes the kernel answer with a reset,
 * and a client still writing its body then loses the 413 it had not read yet (Node's http
 * client and fetch report a dropped connection). So the whole answer (with its length, so the
 * client knows it is complete) is written now, and the response is ended, which closes the
 * connection, when the body has been read to its end and thrown away, when the client gives up,
 * or past MAX_DRAIN_BYTES or MAX_DRAIN_MS, whichever comes first.
 */
function refuseTooLarge(request: IncomingMessage, response: ServerResponse): void {
  const body = JSON.stringify(failure('invalid-input', `the request is larger than the ${MAX_BODY_BYTES / 1024 / 1024} MiB limit; send less (a chat message holds at most 1,000,000 characters)`));
  response.writeHead(413, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  });
  response.write(body);

  let drained = 0;
  const count = (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > MAX_DRAIN_BYTES) close();
  };
  const timer = setTimeout(close, MAX_DRAIN_MS).unref();
  function close(): void {
    clearTimeout(timer);
    request.off('data', count);
    request.off('end', close);
    request.off('close', close);
    if (!response.writableEnded) response.end();
  }
  request.on('data', count);
  request.on('end', close);
  request.on('close', close);
  request.on('error', () => {}); // a client that resets mid-body: 'close' follows
  if (request.readableEnded) close();
  else request.resume();
}

/** The whole body, or 'too-large' as soon as it passes `limit` (the rest is left unread, paused). */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve('too-large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const take = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.off('data', take);
        request.pause();
        resolve('too-large');
      } else {
        chunks.push(chunk);
      }
    };
    request.on('data', take);
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', (error) => reject(new ClientGoneError(`the client broke off the request body: ${error.message}`)));
    // A client that goes away mid-body sends no 'end'; without this the call would wait forever.
    request.on('close', () => reject(new ClientGoneError('the client closed the connection before the request body arrived')));
  });
}
