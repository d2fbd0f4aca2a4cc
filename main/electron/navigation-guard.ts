// Keeps every web contents on Hearth's own pages: navigation away is refused, new windows are
// refused, <webview> is refused, and a plain http(s) link the user clicks opens in the
// system browser instead of inside the app.
import { shell } from 'electron';
import type { WebContents } from 'electron';
import { isAppUrl, isExternalWebUrl } from './app-origin.ts';

function openInSystemBrowser(url: string): void {
  if (!isExternalWebUrl(url)) return;
  // The URL is checked just above: only http(s) with a host ever reaches the system browser.
  void shell.openExternal(new URL(url).href); /* eng-disable OPEN_EXTERNAL_JS_CHECK */
}

export function guardNavigation(contents: WebContents): void {
  contents.on('will-navigate', (event) => {
    if (isAppUrl(event.url)) return;
    event.preventDefault();
    openInSystemBrowser(event.url);
  });
  contents.on('will-redirect', (event) => {
    if (!isAppUrl(event.url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openInSystemBrowser(url);
    return { action: 'deny' };
  });
}
