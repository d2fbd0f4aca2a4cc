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
  if (body === 'too-large') {
    return sendEnvelope(response, 413, failure('invalid-input', `the request is larger than the ${MAX_BODY_BYTES / 1024 / 1024} MiB limit`), {
      Connection: 'close',
    });
  }
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

function sendEnvelope(response: ServerResponse, status: number, envelope: Envelope, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  response.end(JSON.stringify(envelope));
}

/** The whole body, or 'too-large' as soon as it passes `limit` (the rest is not read). */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve('too-large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners('data');
        request.pause();
        resolve('too-large');
      } else {
        chunks.push(chunk);
      }
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
    // A client that goes away mid-body sends no 'end'; without this the call would wait forever.
    request.on('close', () => reject(new Error('the client closed the connection before the request body arrived')));
  });
}
