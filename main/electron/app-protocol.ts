// Serves the renderer bundle on app://hearth/. Registered as a standard, secure scheme so the
// page behaves like an https page (a real origin, fetch, ES modules), and every response
// carries the CSP, so it holds even where webRequest does not see custom-scheme responses.
import { readFile } from 'node:fs/promises';
import { protocol } from 'electron';
import type { Session } from 'electron';
import { APP_SCHEME } from './app-origin.ts';
import { CONTENT_SECURITY_POLICY } from '../common/content-security-policy.ts';
import { contentTypeFor, rendererFileFor } from './renderer-files.ts';

/** Must run before the app is ready (Electron's rule for privileged schemes). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
  ]);
}

function notFound(): Response {
  return new Response('Not found', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}

/** Answers app://hearth/<path> with the file at <rendererRoot>/<path>, and nothing outside it. */
export function serveRendererBundle(session: Session, rendererRoot: string): void {
  session.protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('Method not allowed', { status: 405 });
    const file = rendererFileFor(request.url, rendererRoot);
    if (file === null) return notFound();
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return notFound();
    }
    return new Response(new Uint8Array(body), {
      status: 200,
      headers: {
        'Content-Type': contentTypeFor(file),
        'Content-Security-Policy': CONTENT_SECURITY_POLICY,
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-cache',
      },
    });
  });
}
