// A streamed reply as OpenAI sends it: Server-Sent Events, each chunk one `data: <JSON>` message,
// then `data: [DONE]`. Comment lines (`: ...`), which every SSE client skips, say that the model
// is still being prepared (a first request may build and load it, which takes a while: the build's
// progress is sent so, build-progress-comment.ts) and keep
// idle timers from closing the connection before the first token. A failure after the stream has
// started is sent as a `data: {"error": ...}` message, which the openai clients raise as an
// APIError, and the stream ends without [DONE].
import type { ServerResponse } from 'node:http';

export const STREAM_HEARTBEAT_MS = 10_000;

export class CompletionStream {
  private readonly response: ServerResponse;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(response: ServerResponse, headers: Record<string, string>) {
    this.response = response;
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      ...headers,
    });
    response.write(': preparing the model\n\n');
    this.heartbeat = setInterval(() => this.comment('still working'), STREAM_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  send(data: object): void {
    if (this.response.writableEnded || this.response.destroyed) return;
    this.response.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  /** Ends the stream; with `done`, after the `data: [DONE]` that tells clients the reply is whole. */
  end(done: boolean): void {
    clearInterval(this.heartbeat);
    if (this.response.writableEnded) return;
    if (done) this.response.write('data: [DONE]\n\n');
    this.response.end();
  }

  /** A comment line (`: text`), which clients skip: the build's progress, the heartbeat. */
  comment(text: string): void {
    if (!this.response.writableEnded && !this.response.destroyed) this.response.write(`: ${text}\n\n`);
  }
}
