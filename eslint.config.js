// Lint rules, including the layer rules that keep the code base in shape (after VS Code's
// code-layering): each folder may import only from the layers below it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/** Builds a no-restricted-imports rule from banned module names and path patterns. */
function layer(message, { paths = [], patterns = [] }) {
  return {
    'no-restricted-imports': [
      'error',
      {
        paths: paths.map((name) => ({ name, message })),
        patterns: patterns.length ? [{ group: patterns, message }] : [],
      },
    ],
  };
}

const mainLayers = ['engine', 'cli', 'store', 'hardware', 'services', 'worker', 'server', 'electron', 'train', 'hub'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'app/**', 'dist/**', '.cache/**', '.gpu-carry/**', '.venv/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['main/common/**/*.ts'],
    rules: layer('main/common holds contracts and pure logic: it imports nothing from Node, Electron or other layers.', {
      paths: [...nodeBuiltins, 'electron', 'onnxruntime-node', 'better-sqlite3'],
      patterns: mainLayers.map((l) => `**/${l}/**`),
    }),
  },
  {
    // Tests of pure code run under Node's test runner, so they may import node:test and node:assert.
    files: ['main/common/**/*.test.ts'],
    rules: layer('main/common tests may use Node\'s test runner, but no other layer.', {
      paths: ['electron', 'onnxruntime-node', 'better-sqlite3'],
      patterns: mainLayers.map((l) => `**/${l}/**`),
    }),
  },
  {
    files: ['main/engine/**/*.ts'],
    rules: layer('main/engine is plain Node: no Electron, and no imports from the layers above it.', {
      paths: ['electron', 'better-sqlite3'],
      patterns: ['**/cli/**', '**/store/**', '**/services/**', '**/worker/**', '**/server/**', '**/electron/**', '**/train/**'],
    }),
  },
  {
    files: ['main/hardware/**/*.ts'],
    rules: layer('main/hardware is plain Node: no Electron, and it imports only main/common and main/engine.', {
      paths: ['electron', 'better-sqlite3'],
      patterns: ['**/cli/**', '**/store/**', '**/services/**', '**/worker/**', '**/server/**', '**/electron/**', '**/train/**'],
    }),
  },
  {
    files: ['main/train/**/*.ts'],
    rules: layer('main/train (LoRA fine-tuning) is plain Node: it imports only main/common and main/engine.', {
      paths: ['electron', 'better-sqlite3'],
      patterns: ['**/cli/**', '**/store/**', '**/services/**', '**/worker/**', '**/server/**', '**/electron/**'],
    }),
  },
  {
    files: ['main/hub/**/*.ts'],
    rules: layer('main/hub (the Hugging Face Hub client) is plain Node: no Electron, no database, no engine; it imports only main/common.', {
      paths: ['electron', 'better-sqlite3', 'onnxruntime-node'],
      patterns: mainLayers.filter((l) => l !== 'hub').map((l) => `**/${l}/**`),
    }),
  },
  {
    files: ['main/store/**/*.ts'],
    rules: layer('main/store is plain Node: no Electron, and it imports only main/common.', {
      paths: ['electron', 'onnxruntime-node'],
      patterns: mainLayers.filter((l) => l !== 'store').map((l) => `**/${l}/**`),
    }),
  },
  {
    files: ['main/server/**/*.ts'],
    rules: layer('main/server is plain Node: no Electron, and it imports only main/common and main/services.', {
      paths: ['electron', 'onnxruntime-node', 'better-sqlite3'],
      patterns: mainLayers.filter((l) => l !== 'server' && l !== 'services').map((l) => `**/${l}/**`),
    }),
  },
  {
    // The web shell's fuzz test repeats from its seed with the engine's SeededRandom (tests only).
    files: ['main/server/**/*.test.ts'],
    rules: layer('main/server is plain Node: no Electron, and it imports only main/common and main/services (its tests also the engine\'s SeededRandom).', {
      paths: ['electron', 'onnxruntime-node', 'better-sqlite3'],
      // Files, not the folder: a folder excluded as a whole cannot have one of its files let back in.
      patterns: [...mainLayers.filter((l) => l !== 'server' && l !== 'services' && l !== 'engine').map((l) => `**/${l}/**`), '**/engine/**/*.ts', '!**/engine/runtime/seeded-random.ts'],
    }),
  },
  {
    files: ['main/services/**/*.ts'],
    rules: layer('main/services is plain Node: no Electron; it imports common, engine, train, store, hardware and the workers\' protocols and launcher only.', {
      paths: ['electron'],
      patterns: [
        '**/cli/**',
        '**/server/**',
        '**/electron/**',
        '**/worker/*',
        '!**/worker/worker-protocol.ts',
        '!**/worker/training-protocol.ts',
        '!**/worker/build-protocol.ts',
        '!**/worker/worker-launcher.ts',
        '!**/worker/node-worker-launcher.ts',
        '!**/worker/webgpu-probe-protocol.ts',
      ],
    }),
  },
  {
    files: ['main/worker/**/*.ts'],
    rules: layer('main/worker is plain Node (it runs as a child process or an Electron utilityProcess without importing Electron): it imports only main/common and main/engine.', {
      paths: ['electron', 'better-sqlite3'],
      patterns: ['**/cli/**', '**/store/**', '**/hardware/**', '**/services/**', '**/server/**', '**/electron/**', '**/train/**'],
    }),
  },
  {
    // The training worker runs fine-tune jobs, so it (and only it) may use main/train.
    files: ['main/worker/training-worker.ts', 'main/worker/training-worker-main.ts', 'main/worker/training-worker.test.ts'],
    rules: layer('The training worker is plain Node: it imports only main/common, main/engine and main/train.', {
      paths: ['electron', 'better-sqlite3'],
      patterns: ['**/cli/**', '**/store/**', '**/hardware/**', '**/services/**', '**/server/**', '**/electron/**'],
    }),
  },
  {
    // The build worker builds a model with an adapter folded in too (main/train's adapted build).
    files: ['main/worker/build-worker.ts'],
    rules: layer('The build worker is plain Node: it imports only main/common, main/engine and main/train\'s adapted build.', {
      paths: ['electron', 'better-sqlite3'],
      patterns: ['**/cli/**', '**/store/**', '**/hardware/**', '**/services/**', '**/server/**', '**/electron/**', '**/train/*', '!**/train/adapted-build.ts'],
    }),
  },
  {
    // The WebGPU probe's process runs main/hardware's probe, so that a crashing driver takes down only it.
    files: ['main/worker/webgpu-probe-main.ts'],
    rules: layer('The WebGPU probe\'s process is plain Node: it imports main/common, main/engine and main/hardware\'s WebGPU probe only.', {
      paths: ['electron', 'better-sqlite3'],
      patterns: ['**/cli/**', '**/store/**', '**/hardware/*', '!**/hardware/webgpu-probe.ts', '**/services/**', '**/server/**', '**/electron/**', '**/train/**'],
    }),
  },
  {
    files: ['main/electron/**/*.ts'],
    rules: layer('main/electron is the thin Electron shell (window, menu, preload, IPC, utilityProcess): it imports main/common, main/services, the worker\'s launcher and protocol, and the OpenAI API\'s own server; the rest goes through the services.', {
      paths: ['onnxruntime-node', 'better-sqlite3'],
      patterns: ['**/engine/**', '**/store/**', '**/hardware/**', '**/cli/**', '**/server/**/*.ts', '!**/server/openai/api-server.ts', '**/train/**', '**/worker/*', '!**/worker/worker-launcher.ts', '!**/worker/worker-protocol.ts'],
    }),
  },
  {
    files: ['main/cli/**/*.ts'],
    rules: layer('main/cli is plain Node: no Electron.', { paths: ['electron'], patterns: ['**/electron/**'] }),
  },
  {
    // The renderer runs in a browser page (typescript-eslint parses .tsx as TSX by its extension).
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: layer('The renderer may import only main/common.', {
      paths: [...nodeBuiltins, 'electron', 'onnxruntime-node', 'better-sqlite3'],
      patterns: mainLayers.map((l) => `**/main/${l}/**`),
    }),
  },
  {
    // The renderer's tests (pure logic, no DOM) run under Node's test runner; its Vite config runs in Node.
    files: ['renderer/**/*.test.ts', 'renderer/vite.config.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: layer('Renderer tests and the Vite config may use Node, but no main layer other than main/common.', {
      paths: ['electron', 'onnxruntime-node', 'better-sqlite3'],
      patterns: mainLayers.map((l) => `**/main/${l}/**`),
    }),
  },
);
