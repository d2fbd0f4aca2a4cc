// Hearth's pages are served from a custom scheme, app://hearth/, instead of file://: the page
// gets an origin of its own (so the CSP's 'self' means Hearth's files and nothing else), and
// file://'s extra privileges never apply. Navigation, IPC sender checks and the protocol
// handler all decide "is this ours?" here.
export const APP_SCHEME = 'app';
export const APP_HOST = 'hearth';
export const APP_ENTRY_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** Parses a URL, or gives null for anything that is not one. */
function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * Whether a URL is one of Hearth's own pages. Node's URL gives custom schemes an opaque
 * origin ('null'), so the scheme and host are compared instead of `origin`; never by prefix.
 */
export function isAppUrl(url: string): boolean {
  const parsed = parse(url);
  return parsed !== null && parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === '';
}

/** Whether a link may be handed to the system browser: only plain web pages, never file:, custom schemes or javascript:. */
export function isExternalWebUrl(url: string): boolean {
  const parsed = parse(url);
  return parsed !== null && (parsed.protocol === 'https:' || parsed.protocol === 'http:') && parsed.host !== '';
}
