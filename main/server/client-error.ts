// The answer to a request Node's HTTP parser refuses before any handler sees it: a method it
// does not know, a header with control characters, a body cut short by a client that closed its
// side, headers too large, a request too slow. Node would send a bare status line; this sends
// the same status with the API's error envelope as its body and the security headers, so every
// refusal reads alike. The connection is then closed: after a parse error nothing on it can be
// trusted to be the start of the next request.
import type { Duplex } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { SECURITY_HEADERS } from './security-headers.ts';

/** Node's own choice of status for each parser error. */
function statusFor(code: string | undefined): { status: number; reason: string; message: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, reason: 'Request Header Fields Too Large', message: 'the request headers are too large' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, reason: 'Payload Too Large', message: 'the chunk extensions of the request are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, reason: 'Request Timeout', message: 'the request did not arrive in time' };
    default:
      return { status: 400, reason: 'Bad Request', message: `the request is not valid HTTP/1.1 (${code ?? 'unreadable'})` };
  }
}

/** The server's 'clientError' listener. */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // Like Node: answer only where no answer has started on this connection, or the peer would read a broken one.
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (error.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
    const { status, reason, message } = statusFor(error.code);
    const body = JSON.stringify({ ok: false, error: { code: 'invalid-input', message } });
    const head = [
      `HTTP/1.1 ${status} ${reason}`,
      ...Object.entries(SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}`),
      'Content-Type: application/json; charset=utf-8',
      'Cache-Control: no-store',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
    ].join('\r\n');
    // Destroyed once the answer is handed to the OS, not before: a destroy at once may drop it.
    socket.write(`${head}\r\n\r\n${body}`, () => socket.destroy());
    return;
  }
  socket.destroy();
}
