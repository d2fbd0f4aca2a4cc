// The web shell under random input: 10,000 calls from a seeded generator against a real server
// on 127.0.0.1 over the real services (a real SQLite store in a temporary data folder; no
// inference worker: every call that would start one is left out or points at no conversation).
// Valid calls and their malformed twins (from each method's example, broken field by field),
// unknown methods, JSON that is not JSON, bodies over the 4 MiB limit (declared and chunked),
// other content types, missing or wrong tokens, foreign Host and Origin, odd paths and HTTP
// methods, bodies cut short and requests that are not HTTP. Every call must get an answer (no
// dropped connection), none a 5xx or an 'internal' error, every answer under /api/ must be an
// envelope (refusals with ok: false), and the server must still answer a normal call at the end.
// The seed is in the test's name; HEARTH_FUZZ_SEED=N reruns with another.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { z } from 'zod';
import { API_METHODS, type ApiMethod } from '../common/contracts/api.ts';
import { ApiResultSchema } from '../common/contracts/api-error.ts';
import { malformed, pickOne, randomInt, type RandomSource } from '../common/test/malformed-values.ts';
import { SeededRandom } from '../engine/runtime/seeded-random.ts';
import { BUNDLED_MODEL_ID } from '../services/library-service.ts';
import { openTestServices, type TestServices } from '../services/services-test-support.ts';
import { MAX_BODY_BYTES } from './api-route.ts';
import { startWebShell, type WebShell } from './web-shell-server.ts';
import { TEST_TOKEN } from './web-shell-test-support.ts';

const SEED = Number(process.env.HEARTH_FUZZ_SEED ?? 20_261_206);
const CALLS = 10_000;
/** Requests in flight at once, over as many keep-alive connections. */
const CONCURRENCY = 8;

/** A call unanswered this long counts as dropped (the server drains a refused body for at most 10 s). */
const ANSWER_TIMEOUT_MS = 15_000;

/** Stand-ins replaced by ids that exist in the store, so that valid calls reach the services' real work. */
const A_CONVERSATION = '@conversation';
const A_MODEL = '@model';

/**
 * A valid input of each method (methods not listed take {}). Calls that would start the
 * inference worker, a build or a training run name things that do not exist.
 */
const EXAMPLES: Partial<Record<ApiMethod, Record<string, unknown>>> = {
  'models.import': { path: '/nonexistent/hearth-fuzz/model', name: 'Fuzzed' },
  'models.delete': { modelId: A_MODEL },
  'models.plan': { modelId: A_MODEL, contextTokens: 2048 },
  'models.buildVariant': { modelId: 'no-such-model', precision: 'int8' },
  'models.mergeAdapter': { adapterId: 'no-such-adapter', name: 'Merged' },
  'conversations.search': { query: 'sonnet' },
  'conversations.create': { modelId: A_MODEL, precision: 'fp32', title: 'Fuzzed' },
  'conversations.get': { conversationId: A_CONVERSATION },
  'conversations.rename': { conversationId: A_CONVERSATION, title: 'Renamed' },
  'conversations.update': { conversationId: A_CONVERSATION, systemPrompt: 'Be brief.', params: { temperature: 0.7, maxTokens: 64 } },
  'conversations.delete': { conversationId: A_CONVERSATION },
  'chat.send': { conversationId: 'no-such-conversation', text: 'Hello' },
  'chat.stop': { conversationId: A_CONVERSATION },
  'chat.regenerate': { conversationId: 'no-such-conversation' },
  'chat.editAndResend': { messageId: 'no-such-message', text: 'Again' },
  'jobs.previewDataset': { path: '/nonexistent/hearth-fuzz/train.jsonl' },
  'jobs.create': { baseModelId: A_MODEL, trainPath: '/nonexistent/hearth-fuzz/train.jsonl', config: { steps: 10 } },
  'jobs.get': { jobId: 'no-such-job' },
  'jobs.cancel': { jobId: 'no-such-job' },
  'jobs.resume': { jobId: 'no-such-job' },
  'jobs.delete': { jobId: 'no-such-job' },
  'adapters.importPeft': { path: '/nonexistent/hearth-fuzz/adapter', baseModelId: A_MODEL },
  'adapters.delete': { adapterId: 'no-such-adapter' },
};
/** Methods that would start a reply (the inference worker) given a real conversation: their ids are never replaced. */
const STARTS_WORK = new Set<string>(['chat.send', 'chat.regenerate', 'chat.editAndResend', 'models.buildVariant', 'jobs.create']);

const WEIRD_METHODS = ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'MKCOL', 'PURGE', 'FOO', 'BREW'];
const WEIRD_PATHS = [
  '/api/',
  '/api',
  '/api//models.list',
  '/api/models.list/extra',
  '/api/models.list?x=1&x=2',
  '/api/MODELS.LIST',
  '/api/__proto__',
  '/api/constructor',
  '/api/hasOwnProperty',
  '/api/%2e%2e/%2e%2e/etc/passwd',
  '/api/models%00.list',
  '/api/%E0%A4%A',
  '/api/events/x',
  `/api/${'m'.repeat(5000)}`,
  '/',
  '/index.html',
  '/../../etc/passwd',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/%00',
  '/%E0%A4%A',
  '/assets/../../x.js',
  '//evil.example/x',
  `/?token=${'z'.repeat(43)}`,
  `/${'a'.repeat(20_000)}`,
];
const CONTENT_TYPES = ['text/plain', '', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'application/json; charset=latin1', 'APPLICATION/JSON', 'application/ld+json'];
const BROKEN_JSON = ['{', '{"a":', '{"a":1}}', '[1,2', 'NaN', '{\'a\':1}', '\ufeff{}', 'nul', '{"a":1,}', '"unterminated', '{"__proto__":{"polluted":true}}', '1e999', '{"a":"\\ud800"}'];

interface Call {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer | string;
  /** The request as raw bytes on its own connection, half-closed after it (for what an HTTP client cannot send). */
  raw?: string;
  /** No Host header at all. */
  noHost?: boolean;
}

interface Answer {
  status: number;
  body: string;
}

const EnvelopeSchema = ApiResultSchema(z.unknown());

/** Bodies over the limit share one buffer (up to 3x the limit), sliced per call. */
const HUGE = Buffer.alloc(3 * MAX_BODY_BYTES, 'a');

describe('the web shell API, fuzzed', () => {
  let services: TestServices;
  let shell: WebShell;
  const logs: string[] = [];
  const conversations: string[] = [];

  before(async () => {
    services = await openTestServices();
    shell = await startWebShell({ backend: services.services, port: 0, staticDir: '/nonexistent-hearth-renderer', token: TEST_TOKEN, log: (line) => logs.push(line) });
    for (let i = 0; i < 3; i++) conversations.push((await services.services.handlers['conversations.create']({ modelId: BUNDLED_MODEL_ID })).id);
  });
  after(async () => {
    await shell?.close();
    await services?.cleanup();
  });

  const auth = { Authorization: `Bearer ${TEST_TOKEN}` };
  const json = { ...auth, 'Content-Type': 'application/json' };

  /** Replaces the stand-ins in a valid example with ids that exist (or, sometimes, one that does not). */
  function withRealIds(random: RandomSource, value: unknown): unknown {
    if (value === A_CONVERSATION) return conversations.length && random.next() < 0.8 ? pickOne(random, conversations) : `gone-${randomInt(random, 1000)}`;
    if (value === A_MODEL) return random.next() < 0.8 ? BUNDLED_MODEL_ID : 'no-such-model';
    if (value && typeof value === 'object' && !Array.isArray(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withRealIds(random, v)]));
    return value;
  }

  function apiCall(kind: string, method: string, body: Buffer | string, headers: Record<string, string> = json): Call {
    return { kind, method: 'POST', path: `/api/${method}`, headers, body };
  }

  /** One random call; `kind` names its family in the tally and in failures. */
  function nextCall(random: RandomSource): Call {
    const method = pickOne(random, API_METHODS);
    const example = EXAMPLES[method] ?? {};
    const valid = STARTS_WORK.has(method) ? example : withRealIds(random, example);
    const roll = random.next();
    if (roll < 0.3) return apiCall('valid', method, JSON.stringify(valid));
    if (roll < 0.6) return apiCall('wrong-types', method, JSON.stringify(malformed(random, valid)) ?? '');
    if (roll < 0.66) return apiCall('unknown-method', pickOne(random, ['models.nuke', 'conversations', '', '.', 'chat.send.x', 'Chat.Send', 'eval']), '{}');
    if (roll < 0.72) return apiCall('broken-json', method, pickOne(random, BROKEN_JSON));
    if (roll < 0.74) return apiCall('not-utf8', method, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]));
    if (roll < 0.76) return apiCall('empty-body', method, pickOne(random, ['', ' ', '\n\n', 'null', '[]']));
    if (roll < 0.8) return apiCall('content-type', method, '{}', { ...auth, 'Content-Type': pickOne(random, CONTENT_TYPES) });
    if (roll < 0.86) {
      const headers = pickOne<Record<string, string>>(random, [
        { 'Content-Type': 'application/json' },
        { 'Content-Type': 'application/json', Authorization: `Bearer ${'x'.repeat(43)}` },
        { 'Content-Type': 'application/json', Authorization: `Bearer ${TEST_TOKEN}x` },
        { 'Content-Type': 'application/json', Authorization: `Basic ${TEST_TOKEN}` },
        { 'Content-Type': 'application/json', Authorization: 'Bearer' },
        { 'Content-Type': 'application/json', Cookie: `hearth_token_${shell.port}=${'y'.repeat(43)}` },
        { 'Content-Type': 'application/json', Cookie: `hearth_token_${shell.port + 1}=${TEST_TOKEN}` },
        { 'Content-Type': 'application/json', Cookie: ';;=;' },
      ]);
      return apiCall('token', method, JSON.stringify(valid), headers);
    }
    if (roll < 0.9) {
      const origin = pickOne<Record<string, string>>(random, [{ Origin: 'http://evil.example' }, { Origin: 'null' }, { Origin: `https://127.0.0.1:${shell.port}` }, { Origin: shell.origin }]);
      const host = pickOne<Record<string, string>>(random, [{ Host: `evil.example:${shell.port}` }, { Host: '127.0.0.1' }, { Host: `localhost:${shell.port}` }, { Host: `[::1]:${shell.port}` }, {}]);
      return { ...apiCall('host-origin', method, '{}', { ...json, ...origin, ...host }), noHost: random.next() < 0.2 };
    }
    if (roll < 0.94) return { kind: 'path', method: pickOne(random, ['GET', 'POST']), path: pickOne(random, WEIRD_PATHS), headers: json, body: '{}' };
    if (roll < 0.97) {
      const verb = pickOne(random, WEIRD_METHODS);
      const path = random.next() < 0.7 ? `/api/${method}` : pickOne(random, ['/', '/api/events', '/index.html']);
      return { kind: 'http-method', method: verb, path, headers: json, body: verb === 'GET' || verb === 'HEAD' ? undefined : '{}' };
    }
    if (roll < 0.985) {
      // A body shorter than its declared length (or a chunk cut off), the connection then half-closed.
      const declared = random.next() < 0.5;
      const head = `POST /api/${method} HTTP/1.1\r\nHost: 127.0.0.1:${shell.port}\r\nAuthorization: Bearer ${TEST_TOKEN}\r\nContent-Type: application/json\r\n`;
      const body = JSON.stringify(valid);
      const cut = body.slice(0, randomInt(random, body.length));
      return {
        kind: 'truncated',
        method: 'POST',
        path: `/api/${method}`,
        headers: {},
        raw: declared ? `${head}Content-Length: ${body.length + 1}\r\n\r\n${cut}` : `${head}Transfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${cut}`,
      };
    }
    if (roll < 0.995) {
      const raw = pickOne(random, [
        '\u0000\u0001garbage\r\n\r\n',
        `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${shell.port}\r\nX-Bad: a\u0001b\r\n\r\n`,
        `POST /api/models.list HTTP/1.1\r\nHost: 127.0.0.1:${shell.port}\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
        `POST /api/models.list HTTP/1.1\r\nHost: 127.0.0.1:${shell.port}\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
        `POST /api/models.list HTTP/9.9\r\nHost: 127.0.0.1:${shell.port}\r\n\r\n`,
        `POST /api/models.list HTTP/1.1\r\nHost: 127.0.0.1:${shell.port}\r\nContent-Length: -5\r\n\r\n`,
        `POST /api/models.list HTTP/1.1\r\nHost: 127.0.0.1:${shell.port}\r\nX-Big: ${'h'.repeat(20_000)}\r\n\r\n`,
        `POST /api/models.list HTTP/1.1\r\nHost: 127.0.0.1:${shell.port}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      ]);
      return { kind: 'not-http', method: 'POST', path: '/api/', headers: {}, raw };
    }
    // Over the limit: a declared length, or chunked with none.
    const size = MAX_BODY_BYTES + 1 + randomInt(random, 2 * MAX_BODY_BYTES);
    const chunked = random.next() < 0.5;
    return apiCall('too-large', method, HUGE.subarray(0, size), chunked ? { ...json, 'Transfer-Encoding': 'chunked' } : { ...json, 'Content-Length': String(size) });
  }

  function send(call: Call, agent: Agent): Promise<Answer> {
    if (call.raw !== undefined) return sendRaw(call.raw);
    return new Promise((resolve, reject) => {
      let answered = false;
      // Node's client sends a GET's (or DELETE's...) body without any length, which the server can only read as the next request: say it.
      const headers = call.body === undefined || 'Transfer-Encoding' in call.headers || 'Content-Length' in call.headers ? call.headers : { ...call.headers, 'Content-Length': String(Buffer.byteLength(call.body)) };
      const request = httpRequest({ host: '127.0.0.1', port: shell.port, method: call.method, path: call.path, headers, agent, setHost: !call.noHost }, (response) => {
        if (String(response.headers['content-type']).startsWith('text/event-stream')) {
          // The event stream, opened: it never ends by itself.
          answered = true;
          request.destroy();
          return resolve({ status: response.statusCode ?? 0, body: '' });
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          answered = true;
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        response.on('error', (error) => reject(error));
      });
      // An error after the whole answer arrived (the server closing while this client still wrote) is not a drop.
      request.on('error', (error) => {
        if (!answered) reject(error);
      });
      request.setTimeout(ANSWER_TIMEOUT_MS, () => request.destroy(new Error(`no answer within ${ANSWER_TIMEOUT_MS / 1000} s`)));
      request.end(call.body);
    });
  }

  function sendRaw(text: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: shell.port, allowHalfOpen: true });
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no answer within ${ANSWER_TIMEOUT_MS / 1000} s`));
      }, ANSWER_TIMEOUT_MS);
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('close', () => {
        clearTimeout(timer);
        const reply = Buffer.concat(chunks).toString('utf8');
        const status = /^HTTP\/1\.1 (\d{3}) /.exec(reply);
        if (!status) return reject(new Error(`no HTTP answer: ${JSON.stringify(reply.slice(0, 80))}`));
        const [head, ...rest] = reply.split('\r\n\r\n');
        const body = rest.join('\r\n\r\n');
        resolve({ status: Number(status[1]), body: /^transfer-encoding: chunked$/im.test(head) ? dechunked(body) : body });
      });
      socket.on('error', () => {}); // 'close' follows and says what arrived
      socket.end(text);
    });
  }

  /** What is wrong with an answer, or null. */
  function problemWith(call: Call, answer: Answer): string | null {
    if (answer.status >= 500) return `status ${answer.status}: ${answer.body.slice(0, 200)}`;
    const underApi = call.raw !== undefined || call.path.split('?')[0].startsWith('/api/');
    if (!underApi || call.method === 'HEAD' || answer.status === 303 || (call.path === '/api/events' && answer.status === 200)) return null;
    let envelope: z.infer<typeof EnvelopeSchema>;
    try {
      envelope = EnvelopeSchema.parse(JSON.parse(answer.body));
    } catch {
      return `status ${answer.status} without an envelope: ${JSON.stringify(answer.body.slice(0, 120))}`;
    }
    if (answer.status >= 400 && envelope.ok) return `status ${answer.status} with ok: true`;
    if (!envelope.ok && envelope.error.code === 'internal') return `an internal error: ${envelope.error.message}`;
    if (!envelope.ok && envelope.error.message.trim() === '') return 'an error without a message';
    return null;
  }

  it(`answers ${CALLS.toLocaleString('en')} random calls with no 5xx and no dropped connection (seed ${SEED}; rerun with HEARTH_FUZZ_SEED=${SEED})`, async (t) => {
    const random = new SeededRandom(SEED);
    const calls = Array.from({ length: CALLS }, () => nextCall(random));
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const statuses = new Map<number, number>();
    const kinds = new Map<string, number>();
    const failures: string[] = [];
    let next = 0;
    async function runner(): Promise<void> {
      while (next < calls.length) {
        const index = next++;
        const call = calls[index];
        kinds.set(call.kind, (kinds.get(call.kind) ?? 0) + 1);
        let problem: string | null;
        try {
          const answer = await send(call, agent);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          problem = problemWith(call, answer);
          if (call.path === '/api/conversations.create' && answer.status === 200) {
            const created = JSON.parse(answer.body) as { ok: boolean; value?: { id: string } };
            if (created.ok && created.value) conversations.push(created.value.id);
          }
        } catch (error) {
          problem = `no answer (dropped): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
        }
        if (problem) failures.push(`call ${index} (${call.kind}: ${call.method} ${call.path.slice(0, 60)}): ${problem}`);
      }
    }
    try {
      await Promise.all(Array.from({ length: CONCURRENCY }, runner));
    } finally {
      agent.destroy();
    }

    const tally = (map: Map<string | number, number>) => [...map].sort(([a], [b]) => String(a).localeCompare(String(b))).map(([k, n]) => `${k}: ${n}`).join(', ');
    t.diagnostic(`seed ${SEED}; statuses ${tally(statuses)}`);
    t.diagnostic(`kinds ${tally(kinds)}`);
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} of ${CALLS} calls failed (seed ${SEED}); server log:\n${logs.slice(0, 5).join('\n')}`);
    assert.equal([...statuses.values()].reduce((a, b) => a + b, 0), CALLS, 'every call was answered');
    // The server logs only what failed inside it (an exception in a handler, a request it could not answer).
    assert.deepEqual(logs, [], `the server logged failures (seed ${SEED})`);
    // The mix reached what it was meant to reach: the services, the 413 and every refusal.
    for (const status of [200, 400, 401, 403, 404, 405, 413, 415]) assert.ok((statuses.get(status) ?? 0) > 0, `no call got ${status} (seed ${SEED})`);

    // Still serving.
    const list = await send({ kind: 'final', method: 'POST', path: '/api/conversations.list', headers: json, body: '{}' }, new Agent());
    assert.equal(list.status, 200);
    const envelope = EnvelopeSchema.parse(JSON.parse(list.body));
    assert.ok(envelope.ok && Array.isArray(envelope.value));
  });
});

/** The body of a chunked answer read off a raw socket. */
function dechunked(body: string): string {
  let text = '';
  let rest = body;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, lineEnd), 16);
    if (!(size > 0)) return text;
    text += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}
