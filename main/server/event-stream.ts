// GET /api/events: the backend's events as Server-Sent Events. Each event is one `data:` line
// of JSON (JSON.stringify never writes a raw newline), checked against ApiEventSchema first so
// that the page only ever receives events it can parse. A comment line every 15 s keeps
// proxies and idle timers from closing the stream.
import type { ServerResponse } from 'node:http';
import { ApiEventSchema } from '../common/contracts/events.ts';
import type { ApiBackend } from './api-backend.ts';
import type { ApiCallLog as ApiLog } from '../common/contracts/api-call.ts';

export const HEARTBEAT_MS = 15_000;
/**
 * A page that stops reading would make unsent events pile up in memory. Past this much, the
 * stream is closed; EventSource reconnects by itself and the page reloads its state.
 */
const MAX_UNSENT_BYTES = 16 * 1024 * 1024;

export interface EventStreamOptions {
  heartbeatMs?: number;
  log: ApiLog;
}

/** Streams events until the client goes away or `stop` (returned) is called at shutdown. */
export function openEventStream(response: ServerResponse, backend: ApiBackend, options: EventStreamOptions): () => void {
  response.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  // Sends the headers at once, so the page's EventSource reports "open" before any event.
  response.write(': connected\n\n');

  const unsubscribe = backend.events.subscribe((event) => {
    const parsed = ApiEventSchema.safeParse(event);
    if (!parsed.success) {
      options.log(`an event did not match ApiEventSchema and was not sent: ${parsed.error.message}`);
      return;
    }
    if (response.writableLength > MAX_UNSENT_BYTES) {
      options.log('an event stream client stopped reading; its stream was closed');
      stop();
      return;
    }
    response.write(`data: ${JSON.stringify(parsed.data)}\n\n`);
  });
  const heartbeat = setInterval(() => response.write(': heartbeat\n\n'), options.heartbeatMs ?? HEARTBEAT_MS);
  heartbeat.unref();

  let stopped = false;
  function stop(): void {
    if (stopped) return;
    stopped = true;
    clearInterval(heartbeat);
    unsubscribe();
    response.end();
  }
  // The response's 'close' (not the request's, which fires once the request is read) says the client went away.
  response.on('close', stop);
  return stop;
}
