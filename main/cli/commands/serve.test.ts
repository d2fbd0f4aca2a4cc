// `hearth serve` as a user runs it: a subprocess that prints the address, answers it, and
// stops cleanly on SIGTERM.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnServe } from '../../services/app-process-test-support.ts';
import { REPO_ROOT } from '../cli-test-support.ts';

const SERVICES = join(REPO_ROOT, 'main', 'services', 'create-services.ts');
const skip = existsSync(SERVICES) ? false : `main/services/create-services.ts does not exist yet, so hearth serve cannot start`;

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('hearth serve', { skip }, () => {
  it('prints the address with its token and the API with its key, answers them, and exits 0 on SIGTERM', { timeout: 120_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'hearth-serve-'));
    const serve = await spawnServe(dataDir).catch(async (error: unknown) => {
      await rm(dataDir, { recursive: true, force: true });
      throw error;
    });
    try {
      const printed = serve.stdout().trim();
      const [line, apiLine] = printed.split('\n');
      const match = /^listening on (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{43}))$/.exec(line);
      assert.ok(match, `unexpected line: ${line}`);
      const [, url, port] = match;
      const apiMatch = /^OpenAI-compatible API: http:\/\/127\.0\.0\.1:(\d+)\/v1 key: (hearth-[A-Za-z0-9_-]{43})$/.exec(apiLine ?? '');
      assert.ok(apiMatch, `unexpected second line: ${apiLine}`);
      assert.equal(apiMatch[1], port, 'the API is on the web shell\'s port');
      const models = await get(`http://127.0.0.1:${port}/v1/models`, { Authorization: `Bearer ${apiMatch[2]}` });
      assert.equal(models.status, 200, models.body);
      assert.equal((await get(`http://127.0.0.1:${port}/v1/models`, { Authorization: `Bearer ${match[3]}` })).status, 401, 'the web shell token does not open the API');

      assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 401);
      const redirect = await get(url);
      assert.equal(redirect.status, 303);
      const cookie = String((redirect.headers['set-cookie'] as string[])[0]).split(';')[0];
      const page = await get(`http://127.0.0.1:${port}/`, { Cookie: cookie });
      assert.equal(page.status, 200);
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);

      serve.child.kill('SIGTERM');
      assert.equal(await serve.exited, 0, serve.stderr());
      assert.equal(serve.stdout().trim(), printed, 'stdout holds only the address and API lines');
    } finally {
      serve.child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
