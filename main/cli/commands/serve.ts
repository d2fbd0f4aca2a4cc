// hearth serve [--data-dir DIR] [--port N] [--open]
// The app in a browser: the same services as the Electron app (models, chat, the inference
// worker as a Node child process) behind the web shell (main/server), on 127.0.0.1 only, with
// the OpenAI-compatible API under /v1. Stdout holds two lines, the address to open with the
// launch's token, and the API's base URL with its persistent key:
//   listening on http://127.0.0.1:PORT/?token=TOKEN
//   OpenAI-compatible API: http://127.0.0.1:PORT/v1 key: KEY
// With the local network turned on (the Local server page), it listens on every interface and
// answers to the machine's names there too, and says so on stderr; the token and the key are
// still required. SIGINT or SIGTERM stops the server, then the services (which stop the worker), and exits 0.
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultDataDir } from '../../services/default-data-dir.ts';
import type { Command } from '../command.ts';
import { parseIntegerOption } from '../option-values.ts';

/** The renderer bundle that `npm run build` writes (vite), served as the web shell's pages. */
const RENDERER_DIR = fileURLToPath(new URL('../../../app/renderer/', import.meta.url));
/** The bundled demo model lives in resources/models/ in the repository. */
const RESOURCES_DIR = fileURLToPath(new URL('../../../resources/', import.meta.url));

export const serveCommand: Command = {
  name: 'serve',
  summary: 'the app in a browser: the web shell on 127.0.0.1',
  usage:
    'hearth serve [--data-dir DIR] [--port N] [--open]\n\n' +
    'Runs the app\'s services and serves its pages on http://127.0.0.1 only, and prints\n' +
    '"listening on http://127.0.0.1:PORT/?token=TOKEN": open that address (--open opens it in\n' +
    'the system browser). The token is new at each launch and every request needs it.\n' +
    'It also prints "OpenAI-compatible API: http://127.0.0.1:PORT/v1 key: KEY": point OpenAI\n' +
    'clients there with that key (kept across launches; the app\'s Local server page shows it).\n' +
    'The Local server page can let other computers on the local network in (from the next start;\n' +
    'the key and the token are still required).\n' +
    '--data-dir: where the database and built models live (default: $HEARTH_DATA_DIR, else\n' +
    `${defaultDataDir()}). --port: 0 (the default) picks a free one. Ctrl+C stops the server.\n` +
    'The pages come from app/renderer: run `npm run build` first.',
  async run(args) {
    const { values } = parseArgs({
      args,
      allowPositionals: false,
      options: { 'data-dir': { type: 'string' }, port: { type: 'string' }, open: { type: 'boolean', default: false } },
    });
    const port = values.port === undefined ? 0 : parseIntegerOption('--port', values.port, { min: 0, max: 65535 });
    const dataDir = resolve(values['data-dir'] ?? defaultDataDir());
    await mkdir(dataDir, { recursive: true });

    // Loaded here, not at the top: the services bring the store's native module and the whole
    // app with them, which the other hearth commands do not need.
    const [{ createServices }, { NodeWorkerLauncher }, { startWebShell }, { localNetworkHosts }] = await Promise.all([
      import('../../services/create-services.ts'),
      import('../../worker/node-worker-launcher.ts'),
      import('../../server/web-shell-server.ts'),
      import('../../server/local-network.ts'),
    ]);
    const services = await createServices({ dataDir, resourcesDir: RESOURCES_DIR, launcher: new NodeWorkerLauncher() });
    let shell;
    try {
      const openai = { completions: services.openai, apiKey: () => services.localServer.apiKey(), corsOrigins: () => services.localServer.corsOrigins() };
      const localNetwork = services.localServer.localNetwork() ? { hosts: localNetworkHosts() } : undefined;
      shell = await startWebShell({ backend: services, port, staticDir: RENDERER_DIR, openai, localNetwork });
    } catch (error) {
      await services.close();
      throw error;
    }
    services.localServer.announce({ apiBaseUrl: shell.apiBaseUrl, webShellUrl: shell.url, networkHosts: shell.networkHosts });
    // One write, so that a reader of the first line has the second too.
    console.log(`listening on ${shell.url}\nOpenAI-compatible API: ${shell.apiBaseUrl} key: ${services.localServer.apiKey()}`);
    // The page subscribes too late for events sent at start-up, so these go to the terminal.
    for (const notice of services.startupNotices) console.error(`hearth serve: ${notice}`);
    if (shell.networkHosts.length > 0) {
      const addresses = shell.networkHosts.map((host) => `http://${host}:${shell.port}`).join(', ');
      console.error(
        `hearth serve: WARNING: the local network is on, so other machines can reach this server at ${addresses}; ` +
          "the API key and the web shell's token are still required. Turn it off on the Local server page to serve 127.0.0.1 only.",
      );
    }
    console.error(`hearth serve: data in ${dataDir}; Ctrl+C stops the server`);
    if (values.open) openInBrowser(shell.url);

    const signal = await nextShutdownSignal();
    console.error(`hearth serve: ${signal}, shutting down`);
    await shell.close();
    await services.close();
    return 0;
  },
};

/** Resolves at the first SIGINT or SIGTERM; a second one ends the process at once. */
function nextShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolveSignal(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** Best effort: the address is printed either way, so a missing opener only earns a note. */
function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  const child = spawn(command, args, { stdio: 'ignore', detached: true });
  child.on('error', (error) => console.error(`hearth serve: could not open a browser (${error.message}); open the address above yourself`));
  child.unref();
}
