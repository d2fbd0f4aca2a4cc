import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { bearer, fakeBackend, send, startTestShell } from './web-shell-test-support.ts';
import type { WebShell } from './web-shell-server.ts';

/** An SSE client that records data messages and comments as they arrive. */
class EventStreamClient {
  readonly messages: unknown[] = [];
  readonly comments: string[] = [];
  ended = false;
  response!: IncomingMessage;
  private buffer = '';
  private waiters: (() => void)[] = [];

  static open(shell: WebShell): Promise<EventStreamClient> {
    const client = new EventStreamClient();
    return new Promise((resolve, reject) => {
      const request = httpRequest({ host: '127.0.0.1', port: shell.port, path: '/api/events', headers: bearer(), agent: false }, (response) => {
        client.response = response;
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => client.receive(chunk));
        response.on('end', () => client.finish());
        response.on('close', () => client.finish());
        // Ready once the server's first comment arrived: it has subscribed by then.
        client.until(() => client.comments.length > 0).then(() => resolve(client), reject);
      });
      request.on('error', reject);
      request.end();
    });
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      for (const line of block.split('\n')) {
        if (line.startsWith('data: ')) this.messages.push(JSON.parse(line.slice('data: '.length)));
        else if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      }
    }
    this.wake();
  }

  private finish(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Resolves when `condition` holds; fails after two seconds. */
  async until(condition: () => boolean): Promise<void> {
    const deadline = Date.now() + 2000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('timed out waiting on the event stream');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  close(): void {
    this.response.destroy();
  }
}

const token = (text: string) => ({ type: 'chat.token', conversationId: 'c1', messageId: 'm1', text });

describe('web shell event stream', () => {
  it('delivers valid events in order and drops malformed ones', async () => {
    const fake = fakeBackend();
    const shell = await startTestShell(fake.backend);
    try {
      const client = await EventStreamClient.open(shell);
      assert.match(String(client.response.headers['content-type']), /^text\/event-stream/);
      assert.equal(client.response.headers['cache-control'], 'no-store');
      fake.emit(token('To'));
      fake.emit({ type: 'chat.token', conversationId: 'c1' }); // missing fields
      fake.emit({ type: 'no.such.event' });
      fake.emit(token(' be\nor'));
      fake.emit({ type: 'library.changed' });
      await client.until(() => client.messages.length >= 3);
      assert.deepEqual(client.messages, [token('To'), token(' be\nor'), { type: 'library.changed' }]);
      assert.equal(shell.logs.filter((line) => /did not match ApiEventSchema/.test(line)).length, 2);
      client.close();
    } finally {
      await shell.close();
    }
  });

  it('sends heartbeat comments', async () => {
    const shell = await startTestShell(fakeBackend().backend, { heartbeatMs: 20 });
    try {
      const client = await EventStreamClient.open(shell);
      await client.until(() => client.comments.includes('heartbeat'));
      client.close();
    } finally {
      await shell.close();
    }
  });

  it('outlives the request timeout: the request of a stream is complete, however long its answer goes on', async () => {
    const fake = fakeBackend();
    const shell = await startTestShell(fake.backend, { requestTimeoutMs: 200 });
    try {
      const client = await EventStreamClient.open(shell);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      fake.emit(token('late'));
      await client.until(() => client.messages.length === 1);
      assert.equal(client.ended, false);
      client.close();
    } finally {
      await shell.close();
    }
  });

  it('unsubscribes when the client goes away', async () => {
    const fake = fakeBackend();
    const shell = await startTestShell(fake.backend, { heartbeatMs: 20 });
    try {
      const first = await EventStreamClient.open(shell);
      const second = await EventStreamClient.open(shell);
      assert.equal(fake.subscriberCount(), 2);
      first.close();
      await second.until(() => fake.subscriberCount() === 1);
      fake.emit(token('still here'));
      await second.until(() => second.messages.length === 1);
      second.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(fake.subscriberCount(), 0);
    } finally {
      await shell.close();
    }
  });

  it('ends open streams when the server closes', async () => {
    const fake = fakeBackend();
    const shell = await startTestShell(fake.backend);
    const client = await EventStreamClient.open(shell);
    await shell.close();
    await client.until(() => client.ended);
    assert.equal(fake.subscriberCount(), 0);
  });

  it('needs the token and GET', async () => {
    const shell = await startTestShell(fakeBackend().backend);
    try {
      assert.equal((await send(shell, { path: '/api/events' })).status, 401);
      assert.equal((await send(shell, { method: 'POST', path: '/api/events', headers: bearer() })).status, 405);
    } finally {
      await shell.close();
    }
  });
});
