// The renderer bundle (app/renderer, built by Vite) as static files. Paths are decoded and
// resolved here, then must stay inside the bundle's folder, symlinks followed: "/../x",
// "/%2e%2e/x" and "/..%2fx" all resolve outside it and are refused.
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { sendText } from './security-headers.ts';
import { CONTENT_TYPES } from '../common/renderer-content-types.ts';


export const INDEX_FILE = 'index.html';

export async function serveStaticFile(request: IncomingMessage, response: ServerResponse, rawPath: string, staticDir: string): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return sendText(response, 405, 'only GET and HEAD are served here', { Allow: 'GET, HEAD' });
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return sendText(response, 400, 'the path is not valid percent-encoding');
  }
  if (path.includes('\0')) return sendText(response, 400, 'the path contains a NUL character');
  const relativePath = path === '/' ? INDEX_FILE : path.replace(/^[/\\]+/, '');

  const root = resolve(staticDir);
  const file = resolve(root, relativePath);
  if (!isInside(root, file)) return sendText(response, 403, 'that path is outside the web shell files');

  const found = await regularFileInside(root, file);
  if (found === 'outside') return sendText(response, 403, 'that path is outside the web shell files');
  if (found === 'missing') {
    if (relativePath === INDEX_FILE) return sendNotBuiltPage(request, response, root);
    return sendText(response, 404, 'not found');
  }
  const isPage = extname(file) === '.html';
  response.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': String(found.size),
    // Pages carry no secrets but are behind the token; assets are revalidated so a rebuilt
    // bundle shows up on reload.
    'Cache-Control': isPage ? 'no-store' : 'no-cache',
  });
  if (request.method === 'HEAD') return void response.end();
  await new Promise<void>((done) => {
    const stream = createReadStream(found.realPath);
    stream.on('error', () => {
      response.destroy();
      done();
    });
    stream.on('end', done);
    stream.pipe(response);
  });
}

function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** The file's size and real path, when it is a regular file whose real path is inside root's. */
async function regularFileInside(root: string, file: string): Promise<{ size: number; realPath: string } | 'missing' | 'outside'> {
  try {
    const [realRoot, realFile] = await Promise.all([realpath(root), realpath(file)]);
    if (!isInside(realRoot, realFile)) return 'outside';
    const info = await stat(realFile);
    return info.isFile() ? { size: info.size, realPath: realFile } : 'missing';
  } catch {
    return 'missing';
  }
}

/** What the page says before `npm run build` has produced the renderer bundle. */
function sendNotBuiltPage(request: IncomingMessage, response: ServerResponse, root: string): void {
  const page = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><title>Hearth: the renderer is not built</title></head>',
    '<body><h1>The Hearth renderer is not built</h1>',
    `<p>There is no ${INDEX_FILE} in <code>${escapeHtml(root)}</code>.</p>`,
    '<p>Run <code>npm run build</code> in the Hearth folder, then reload this page.</p>',
    '</body></html>',
    '',
  ].join('\n');
  response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': String(Buffer.byteLength(page)) });
  response.end(request.method === 'HEAD' ? undefined : page);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}
