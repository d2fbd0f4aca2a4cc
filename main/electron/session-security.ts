// Locks down the browsing session the window uses: every permission request and check is
// denied (Electron approves them all by default), and every response gets the CSP header,
// on top of the one the app:// handler sets.
import type { Session } from 'electron';

export function secureSession(session: Session): void {
  session.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.setDisplayMediaRequestHandler((_request, callback) => callback({}));
  session.webRequest.onHeadersReceived((details, callback) => {
    // Written out as a literal (it equals CONTENT_SECURITY_POLICY; content-security-policy.test.ts
    // checks that) so that Electronegativity's CSP check can read and evaluate it.
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [
          "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; frame-src 'none'; frame-ancestors 'none'; form-action 'none'",
        ],
      },
    });
  });
}
