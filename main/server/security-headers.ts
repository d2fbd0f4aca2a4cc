// Headers sent on every web shell response, errors included. The renderer bundle is only
// files from the server itself: no inline scripts or styles, no eval, no framing, no forms
// posting elsewhere, and nothing loaded from another origin.
import type { ServerResponse } from 'node:http';
import { CONTENT_SECURITY_POLICY } from '../common/content-security-policy.ts';

export { CONTENT_SECURITY_POLICY };

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=()',
};

export function setSecurityHeaders(response: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
}

/** A short plain-text answer (errors of the guard and of the static files). */
export function sendText(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  response.end(`${text}\n`);
}
