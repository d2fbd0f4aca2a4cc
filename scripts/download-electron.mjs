#!/usr/bin/env node
// The project's postinstall: downloads Electron's binary, and lets the download fail without
// failing the install. package.json's allowScripts denies electron's own postinstall, which
// would fail `npm ci` where github.com cannot be reached; this runs the same install.js and, when
// it fails, records why (scripts/electron-binary.ts), so that `npm start` opens the web shell
// and says why. Run it again by hand to retry the download.
import { register } from 'tsx/esm/api';

const root = new URL('..', import.meta.url).pathname;
try {
  register();
  const { downloadElectron } = await import('./electron-binary.ts');
  const outcome = downloadElectron(root);
  if (!outcome.installed) {
    console.warn(`hearth: Electron is not installed: ${outcome.reason}. The install goes on without it; \`npm start\` opens the web shell in a browser instead of the desktop app.`);
  }
} catch (error) {
  // A failure here must not fail `npm ci`: only the desktop app needs Electron.
  console.warn(`hearth: Electron's download could not be run (${error instanceof Error ? error.message : String(error)}); \`npm start\` will open the web shell.`);
}
