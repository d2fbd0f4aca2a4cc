// Electron main process: the app's lifecycle, its one window, the app:// protocol, the IPC
// bridge, the workers' launch and the OpenAI-compatible API's own server (main/server/openai/api-server.ts).
// Everything else (models, chat, the store, the worker's host) is main/services, the same code the web shell runs.
//
// Files, relative to app.getAppPath() (the repository in development, app.asar when packaged):
//   app/main.js (this bundle), app/preload.cjs, app/worker.js, app/training-worker.js, app/build-worker.js, app/webgpu-probe.js,
//   app/renderer/ (the UI).
// The bundled demo model is under <resourcesDir>/models: process.resourcesPath when packaged
// (electron-builder's extraResources), the repository's resources/ otherwise.
import { join } from 'node:path';
import { app, dialog, session } from 'electron';
import type { BrowserWindow } from 'electron';
import { createServices } from '../services/create-services.ts';
import { startApiServerFromSettings, type ApiServer } from '../server/openai/api-server.ts';
import { installApplicationMenu } from './application-menu.ts';
import { APP_ENTRY_URL } from './app-origin.ts';
import { registerAppScheme, serveRendererBundle } from './app-protocol.ts';
import { forwardEvent, serveApiOverIpc, servePathPickerOverIpc } from './ipc-bridge.ts';
import { createMainWindow } from './main-window.ts';
import { guardNavigation } from './navigation-guard.ts';
import { secureSession } from './session-security.ts';
import { UtilityProcessLauncher } from './utility-process-launcher.ts';

type Services = Awaited<ReturnType<typeof createServices>>;

// Every renderer is sandboxed, whatever its web preferences say; the scheme must be privileged
// before the app is ready.
app.enableSandbox();
registerAppScheme();
// Tests and power users may point the app at another data folder (the CLI honours the same variable).
if (process.env.HEARTH_DATA_DIR) app.setPath('userData', process.env.HEARTH_DATA_DIR);

const bundleDir = join(app.getAppPath(), 'app');
const resourcesDir = app.isPackaged ? process.resourcesPath : join(app.getAppPath(), 'resources');
// From a checkout, `npm start` builds better-sqlite3 for Electron beside Node's build and names it
// here (scripts/electron-sqlite-build.ts). The packaged app ignores the variable: electron-builder
// rebuilt its better-sqlite3 for Electron, and no variable may make it load other native code.
const sqliteNativeBinding = app.isPackaged ? undefined : process.env.HEARTH_SQLITE_BINDING || undefined;

let mainWindow: BrowserWindow | null = null;
let services: Services | null = null;
/** The OpenAI-compatible API on 127.0.0.1 (the settings' port), while the app runs; null when it could not start. */
let apiServer: ApiServer | null = null;

/** A message the user can act on when the services cannot start (a corrupt or locked database, a native module built for Node). */
function startupFailureMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/NODE_MODULE_VERSION|was compiled against a different Node\.js version/.test(message)) {
    return sqliteNativeBinding
      ? `${message}\n\nThe Electron build of better-sqlite3 (${sqliteNativeBinding}) does not fit this Electron. Delete it and run \`npm start\` again to rebuild it.`
      : app.isPackaged
        ? `${message}\n\nThis installer's better-sqlite3 was built for Node, not Electron: build installers with \`npm run dist\` (it runs electron-builder install-app-deps).`
        : `${message}\n\nA native module (better-sqlite3) is built for Node, not for Electron. Start the app with \`npm start\`, which builds one for Electron beside it.`;
  }
  return message;
}

async function start(): Promise<void> {
  secureSession(session.defaultSession);
  serveRendererBundle(session.defaultSession, join(bundleDir, 'renderer'));
  installApplicationMenu(app.isPackaged);

  try {
    services = await createServices({
      dataDir: app.getPath('userData'),
      resourcesDir,
      launcher: new UtilityProcessLauncher(bundleDir),
      sqliteNativeBinding,
    });
  } catch (error) {
    // Never a blank window: say what failed and where the data is, then quit.
    dialog.showErrorBox('Hearth could not start', `${startupFailureMessage(error)}\n\nData folder: ${app.getPath('userData')}`);
    app.exit(1);
    return;
  }

  // Not fatal: the app works without it, and the Local server page says it is not served.
  apiServer = await startApiServerFromSettings(services.openai, services.localServer).catch((error: unknown) => {
    console.error(`hearth: the OpenAI-compatible API could not start: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  });

  const window = createMainWindow(join(bundleDir, 'preload.cjs'));
  mainWindow = window;
  const stopServing = serveApiOverIpc(window, services.handlers);
  const stopPicking = servePathPickerOverIpc(window);
  const stopForwarding = services.events.subscribe((event) => forwardEvent(window, event));
  window.on('closed', () => {
    stopForwarding();
    stopServing();
    stopPicking();
    mainWindow = null;
  });
  await window.loadURL(APP_ENTRY_URL);
}

if (!app.requestSingleInstanceLock()) {
  // Another Hearth owns the database and the worker: hand over to it (it focuses its window).
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  // Every web contents, not only the main window's, stays on app:// and opens no windows.
  app.on('web-contents-created', (_event, contents) => guardNavigation(contents));
  app.on('window-all-closed', () => app.quit());
  let closing = false;
  app.on('will-quit', (event) => {
    if (closing || !services) return;
    // Stop the worker and close the database before the process ends.
    closing = true;
    event.preventDefault();
    const stopping = services;
    services = null;
    const stoppingApi = apiServer;
    apiServer = null;
    void Promise.resolve(stoppingApi?.close())
      .then(() => stopping.close())
      .finally(() => app.quit());
  });
  app.whenReady().then(start, (error: unknown) => {
    dialog.showErrorBox('Hearth could not start', startupFailureMessage(error));
    app.exit(1);
  });
}
