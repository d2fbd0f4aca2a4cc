// The build's progress in a streamed reply: the comment's fields, the throttle, and a real
// streamed request for a variant not built yet (real services, the demo model built in a real
// build worker and answered by the real inference worker) whose stream carries them before its data.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { openTestServices, RecordingLauncher, type TestServices } from '../../services/services-test-support.ts';
import type { BuildProgress } from '../../services/api-completions.ts';
import { startWebShell, type WebShell } from '../web-shell-server.ts';
import { BUILD_COMMENT_INTERVAL_MS, BuildCommentThrottle, buildProgressComment } from './build-progress-comment.ts';

const building: BuildProgress = { type: 'model.build', modelId: 'm', precision: 'int4', state: 'building', done: 3, total: 26, label: 'layer 3 of 24', error: null };

describe('build progress as SSE comments', () => {
  it('names the step, the bytes written of the expected ones and the seconds left, leaving out what is unknown', () => {
    assert.equal(
      buildProgressComment({ ...building, bytesWritten: 125829120, expectedBytes: 367001600, etaMs: 70_400 }),
      'build int4 building step=3/26 label="layer 3 of 24" bytes=125829120/367001600 eta_s=70',
    );
    assert.equal(buildProgressComment({ ...building, bytesWritten: 10, expectedBytes: null, etaMs: null }), 'build int4 building step=3/26 label="layer 3 of 24" bytes=10');
    assert.equal(buildProgressComment({ ...building, label: 'two\nlines' }), 'build int4 building step=3/26 label="two lines"', 'one line, whatever the label');
    assert.equal(buildProgressComment({ ...building, state: 'ready', done: 1, total: 1, label: 'ready' }), 'build int4 ready');
  });

  it('sends each new step at once, and the same step at most once a second', () => {
    const throttle = new BuildCommentThrottle();
    assert.ok(throttle.next(building, 0));
    assert.equal(throttle.next({ ...building, bytesWritten: 5 }, 10), null, 'same step, too soon');
    assert.ok(throttle.next({ ...building, done: 4, label: 'layer 4 of 24' }, 20), 'a new step');
    assert.ok(throttle.next({ ...building, done: 4, label: 'layer 4 of 24', bytesWritten: 9 }, 20 + BUILD_COMMENT_INTERVAL_MS), 'a second later');
    assert.ok(throttle.next({ ...building, state: 'ready' }, 21 + BUILD_COMMENT_INTERVAL_MS), 'a new state');
  });
});

describe('a streamed request for a variant not built yet', { timeout: 300_000 }, () => {
  let test: TestServices;
  let shell: WebShell;

  before(async () => {
    test = await openTestServices(new RecordingLauncher());
    const { services } = test;
    shell = await startWebShell({
      backend: services,
      port: 0,
      staticDir: '/nonexistent-hearth-renderer',
      log: () => {},
      openai: { completions: services.openai, apiKey: () => services.localServer.apiKey(), corsOrigins: () => services.localServer.corsOrigins() },
    });
  });

  after(async () => {
    await shell?.close();
    await test?.cleanup();
  });

  it('sends the build steps as comments before the first data, then the reply', async () => {
    const body = JSON.stringify({ model: 'Shakespeare 5M (demo)@fp16', prompt: 'ROMEO:', max_tokens: 3, temperature: 0, stream: true });
    const text = await new Promise<string>((resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port: shell.port,
          method: 'POST',
          path: '/v1/completions',
          headers: { Authorization: `Bearer ${test.services.localServer.apiKey()}`, 'Content-Type': 'application/json' },
          agent: false,
        },
        (response) => {
          let received = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (received += chunk));
          response.on('end', () => resolve(received));
        },
      );
      request.on('error', reject);
      request.end(body);
    });
    const lines = text.split('\n').filter((line) => line !== '');
    const firstData = lines.findIndex((line) => line.startsWith('data:'));
    const steps = lines.slice(0, firstData).filter((line) => /^: build fp16 building step=\d+\/\d+ label="[^"]+"/.test(line));
    assert.ok(steps.length >= 1, `build steps before the data:\n${lines.slice(0, firstData).join('\n')}`);
    assert.ok(
      steps.some((line) => / bytes=\d+/.test(line)),
      `the bytes written:\n${steps.join('\n')}`,
    );
    assert.ok(lines.slice(0, firstData).includes(': build fp16 ready'), 'the build says it is done');
    assert.equal(lines[lines.length - 1], 'data: [DONE]', 'then the reply, whole');
  });
});
