// Maps an app://hearth/… request onto a file of the renderer bundle (app/renderer/), and
// refuses anything that would leave that folder (../, encoded separators, NUL bytes).
import { extname, isAbsolute, join, relative, resolve } from 'node:path';
import { isAppUrl } from './app-origin.ts';
import { CONTENT_TYPES } from '../common/renderer-content-types.ts';


/** The file a request asks for, inside `rendererRoot`, or null when it is not ours or escapes the folder. */
export function rendererFileFor(requestUrl: string, rendererRoot: string): string | null {
  if (!isAppUrl(requestUrl)) return null;
  let path: string;
  try {
    path = decodeURIComponent(new URL(requestUrl).pathname);
  } catch {
    return null; // a malformed %-escape
  }
  if (path.includes('\0') || path.includes('\\')) return null;
  if (path === '/' || path === '') path = '/index.html';
  const root = resolve(rendererRoot);
  const file = resolve(join(root, path));
  const inside = relative(root, file);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return null;
  return file;
}

/** The Content-Type to serve a renderer file with; ES modules need a JavaScript type to run. */
export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}
