import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTENT_SECURITY_POLICY } from './security-headers.ts';
import { bearer, fakeBackend, send, startTestShell } from './web-shell-test-support.ts';
import type { WebShell } from './web-shell-server.ts';

const SECRET = 'the-secret-outside-the-bundle';

describe('web shell static files', () => {
  let root: string;
  let shell: WebShell;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hearth-static-'));
    const bundle = join(root, 'renderer');
    await mkdir(join(bundle, 'assets'), { recursive: true });
    await writeFile(join(root, 'secret.txt'), SECRET);
    await writeFile(join(root, 'package.json'), SECRET);
    await writeFile(join(bundle, 'index.html'), '<!doctype html><title>Hearth</title><script type="module" src="/assets/app.js"></script>');
    await writeFile(join(bundle, 'assets', 'app.js'), 'console.log("hearth")');
    await writeFile(join(bundle, 'assets', 'app.css'), 'body{}');
    await writeFile(join(bundle, 'assets', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    await writeFile(join(bundle, 'assets', 'data.bin'), 'x');
    await symlink(join(root, 'secret.txt'), join(bundle, 'assets', 'escape.txt'));
    shell = await startTestShell(fakeBackend().backend, { staticDir: bundle });
  });
  after(async () => {
    await shell.close();
    await rm(root, { recursive: true, force: true });
  });

  const get = (path: string, method = 'GET') => send(shell, { method, path, headers: bearer() });

  it('serves index.html for / with the strict CSP and security headers', async () => {
    const page = await get('/');
    assert.equal(page.status, 200);
    assert.match(page.body, /<title>Hearth<\/title>/);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    assert.equal(csp, CONTENT_SECURITY_POLICY);
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"]) {
      assert.ok(csp.includes(directive), directive);
    }
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
  });

  it('serves bundle files with their content types', async () => {
    const expected: Record<string, string> = {
      '/assets/app.js': 'text/javascript; charset=utf-8',
      '/assets/app.css': 'text/css; charset=utf-8',
      '/assets/logo.svg': 'image/svg+xml',
      '/assets/data.bin': 'application/octet-stream',
      '/index.html': 'text/html; charset=utf-8',
    };
    for (const [path, type] of Object.entries(expected)) {
      const file = await get(path);
      assert.equal(file.status, 200, path);
      assert.equal(file.headers['content-type'], type, path);
    }
    assert.equal((await get('/assets/app.js')).body, 'console.log("hearth")');
    const head = await get('/assets/app.js', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String('console.log("hearth")'.length));
    assert.equal(head.body, '');
  });

  it('answers 404 for missing files and folders', async () => {
    assert.equal((await get('/assets/missing.js')).status, 404);
    assert.equal((await get('/assets')).status, 404);
    assert.equal((await get('/assets/')).status, 404);
  });

  it('refuses paths that leave the bundle folder, plain or encoded', async () => {
    const attempts = [
      '/../secret.txt',
      '/../package.json',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E/package.json',
      '/..%2fsecret.txt',
      '/%2e%2e%2fsecret.txt',
      '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/..%5csecret.txt',
      '/assets/escape.txt', // a symlink to a file outside
    ];
    for (const path of attempts) {
      const answer = await get(path);
      assert.ok(answer.status === 403 || answer.status === 404, `${path}: ${answer.status}`);
      assert.doesNotMatch(answer.body, new RegExp(SECRET), path);
    }
    assert.equal((await get('/..%2fsecret.txt')).status, 403);
    assert.equal((await get('/bad%zzpath')).status, 400);
    assert.equal((await get('/index.html%00.js')).status, 400);
  });

  it('serves only GET and HEAD', async () => {
    const post = await send(shell, { method: 'PUT', path: '/index.html', headers: bearer(), body: 'x' });
    assert.equal(post.status, 405);
  });

  it('says the renderer is not built, and how to build it, when the bundle has no index.html', async () => {
    const empty = await startTestShell(fakeBackend().backend, { staticDir: join(root, 'no-such-folder') });
    try {
      const page = await send(empty, { path: '/', headers: bearer() });
      assert.equal(page.status, 200);
      assert.match(page.body, /not built/);
      assert.match(page.body, /npm run build/);
      assert.equal(page.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
      assert.equal((await send(empty, { path: '/assets/app.js', headers: bearer() })).status, 404);
    } finally {
      await empty.close();
    }
  });
});
