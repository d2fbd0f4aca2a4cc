#!/usr/bin/env node
// Builds what electron-builder packages into app/: the renderer (vite, through
// `npm run build:renderer`), then six esbuild bundles:
//   app/main.js     Electron main process   (ESM; Electron 40 loads an ESM main)
//   app/preload.cjs the window's preload    (CommonJS: sandboxed preloads may only require 'electron')
//   app/worker.js   the inference worker    (ESM; an Electron utilityProcess or a Node child)
//   app/training-worker.js the training worker (ESM; likewise, one per fine-tune job run)
//   app/build-worker.js the build worker    (ESM; likewise, one per variant build, so quantizing never freezes the app)
//   app/webgpu-probe.js the WebGPU probe    (ESM; likewise, once, so a crashing GPU driver takes down only it)
// Native and Electron modules stay external: onnxruntime-node and better-sqlite3 load their .node
// binaries from node_modules (unpacked from the asar), and 'electron' is provided at run time.
// An entry whose source does not exist yet is skipped with a warning, so a partial tree builds.
import { existsSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const outDir = join(root, 'app');
const nativeExternals = ['electron', 'onnxruntime-node', 'better-sqlite3'];
// Bundled CommonJS code may require Node built-ins, and some code reads __dirname: an ESM
// bundle has neither, so the banner defines them from import.meta.url.
const esmBanner = [
  "import { createRequire as __hearthCreateRequire } from 'node:module';",
  "import { fileURLToPath as __hearthFileURLToPath } from 'node:url';",
  "import { dirname as __hearthDirname } from 'node:path';",
  'const require = __hearthCreateRequire(import.meta.url);',
  'const __filename = __hearthFileURLToPath(import.meta.url);',
  'const __dirname = __hearthDirname(__filename);',
].join('\n');

const bundles = [
  { name: 'main', entry: 'main/electron/main.ts', outfile: 'app/main.js', format: 'esm' },
  { name: 'preload', entry: 'main/electron/preload.ts', outfile: 'app/preload.cjs', format: 'cjs' },
  { name: 'worker', entry: 'main/worker/worker-main.ts', outfile: 'app/worker.js', format: 'esm' },
  { name: 'training-worker', entry: 'main/worker/training-worker-main.ts', outfile: 'app/training-worker.js', format: 'esm' },
  { name: 'build-worker', entry: 'main/worker/build-worker-main.ts', outfile: 'app/build-worker.js', format: 'esm' },
  { name: 'webgpu-probe', entry: 'main/worker/webgpu-probe-main.ts', outfile: 'app/webgpu-probe.js', format: 'esm' },
];

function warn(message) {
  console.warn(`build-app: warning: ${message}`);
}

function buildRenderer() {
  const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts ?? {};
  if (!scripts['build:renderer']) {
    warn('package.json has no "build:renderer" script yet; app/renderer/ is not built.');
    return;
  }
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', 'build:renderer'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    console.error('build-app: the renderer build (npm run build:renderer) failed.');
    process.exit(result.status ?? 1);
  }
}

/** The preload runs sandboxed, where require() knows only 'electron' (and a few safe built-ins). */
function checkPreloadRequires(file) {
  const required = [...readFileSync(file, 'utf8').matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
  const forbidden = required.filter((name) => name !== 'electron');
  if (forbidden.length > 0) {
    console.error(`build-app: ${file} requires ${forbidden.join(', ')}; a sandboxed preload may only require 'electron'. Import less in main/electron/preload.ts.`);
    process.exit(1);
  }
}

async function buildBundle({ name, entry, outfile, format }) {
  if (!existsSync(join(root, entry))) {
    warn(`${entry} does not exist yet; ${outfile} (${name}) is not built.`);
    return false;
  }
  await build({
    entryPoints: [join(root, entry)],
    outfile: join(root, outfile),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format,
    external: format === 'cjs' ? ['electron'] : nativeExternals,
    banner: format === 'esm' ? { js: esmBanner } : undefined,
    sourcemap: format === 'esm' ? 'linked' : false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  if (name === 'preload') checkPreloadRequires(join(root, outfile));
  console.log(`build-app: ${outfile}`);
  return true;
}

const onlyBundles = process.argv.includes('--bundles-only');
mkdirSync(outDir, { recursive: true });
if (!onlyBundles) buildRenderer();
for (const bundle of bundles) {
  rmSync(join(root, bundle.outfile), { force: true });
  rmSync(join(root, `${bundle.outfile}.map`), { force: true });
  await buildBundle(bundle);
}
