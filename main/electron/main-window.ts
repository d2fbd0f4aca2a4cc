// Hearth's one window. The web preferences are written as a literal at the constructor call,
// where Electronegativity's checks read them: an isolated, sandboxed renderer with no Node.
// Navigation and window-open rules are attached to every web contents in main.ts.
import { BrowserWindow } from 'electron';

export function createMainWindow(preloadFile: string): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 860,
    minWidth: 720,
    minHeight: 480,
    title: 'Hearth',
    show: false,
    backgroundColor: '#1b1a17',
    webPreferences: {
      // The preload exposes only window.hearth = { call, subscribe } (reviewed: preload.ts).
      preload: preloadFile, /* eng-disable PRELOAD_JS_CHECK */
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      // Middle-click would open links in new windows; the window-open handler denies them anyway.
      disableBlinkFeatures: 'Auxclick',
      spellcheck: false,
      devTools: true,
    },
  });
  window.once('ready-to-show', () => window.show());
  return window;
}
