// Checks electron-builder.yml without building an installer (that needs Electron's download):
// every asarUnpack glob matches native files in the installed node_modules, the packaged files
// are the built app, and the packaged app's fuses are set. The YAML parser and the glob matcher
// are the ones electron-builder itself uses (resolved from app-builder-lib), with its options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, posix, relative, sep } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const builderRequire = createRequire(createRequire(import.meta.url).resolve('app-builder-lib/package.json'));
const yaml = builderRequire('js-yaml') as { load(text: string): unknown };
const { minimatch } = builderRequire('minimatch') as { minimatch(path: string, pattern: string, options: { dot: boolean }): boolean };

interface BuilderConfig {
  appId: string;
  productName: string;
  directories: { output: string; buildResources: string };
  files: string[];
  extraResources: { from: string; to: string }[];
  asarUnpack: string[];
  electronFuses: Record<string, boolean>;
  linux: { target: string[] };
  win: { target: string[] };
  mac: { target: string[] };
}

const config = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as BuilderConfig;

/** electron-builder's matching: minimatch with { dot: true } on paths relative to the project, patterns posix-normalised. */
function matches(path: string, pattern: string): boolean {
  return minimatch(path, posix.normalize(pattern), { dot: true });
}

/** Every file under `dir` (relative to the project, with / separators). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string) => {
    for (const entry of readdirSync(abs)) {
      const path = join(abs, entry);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(root, path).split(sep).join('/'));
    }
  };
  if (existsSync(join(root, dir))) walk(join(root, dir));
  return out;
}

/** The fixed part of a glob (everything before the first wildcard), where to look for its files. */
function globBase(pattern: string): string {
  const parts = pattern.split('/');
  const fixed = parts.slice(0, parts.findIndex((p) => /[*?[{]/.test(p)));
  return fixed.join('/');
}

test('the app is Hearth with its own id and the installers the issue lists', () => {
  assert.equal(config.appId, 'app.hearth.desktop');
  assert.equal(config.productName, 'Hearth');
  assert.deepEqual(config.directories, { output: 'dist', buildResources: 'resources' });
  assert.deepEqual(config.linux.target, ['AppImage', 'deb']);
  assert.deepEqual(config.win.target, ['nsis']);
  assert.deepEqual(config.mac.target, ['dmg']);
  assert.ok(existsSync(join(root, 'resources', 'icon.png')), 'resources/icon.png is the icon electron-builder converts');
});

test('every asarUnpack glob matches native files in the installed node_modules', () => {
  assert.ok(config.asarUnpack.length > 0);
  for (const pattern of config.asarUnpack) {
    const base = globBase(pattern);
    assert.ok(base.startsWith('node_modules/'), `${pattern}: asarUnpack should name a package folder`);
    const matched = filesUnder(base).filter((file) => matches(file, pattern));
    assert.ok(matched.length > 0, `asarUnpack glob ${pattern} matches no file under ${base} (is the package installed, and did its layout change?)`);
  }
});

test('the unpacked files cover every native binary and shared library of onnxruntime-node and better-sqlite3', () => {
  // onnxruntime_binding.node loads libonnxruntime.* / onnxruntime.dll / DirectML.dll beside it:
  // unpacking only the .node files fails at run time with "Library not loaded".
  const native = [...filesUnder('node_modules/onnxruntime-node/bin'), ...filesUnder('node_modules/better-sqlite3/build/Release')].filter(
    (file) => /\.(node|dll|dylib)$|\.so(\.\d+)*$/.test(file) && !file.includes('/obj.target/'),
  );
  assert.ok(native.some((f) => f.endsWith('onnxruntime_binding.node')), 'onnxruntime-node ships its binding');
  assert.ok(native.some((f) => f.endsWith('better_sqlite3.node')), 'better-sqlite3 is built');
  const missed = native.filter((file) => !config.asarUnpack.some((pattern) => matches(file, pattern)));
  assert.deepEqual(missed, [], 'native files left inside the asar');
});

test('the package holds the built app and package.json, not sources or source maps', () => {
  const included = (path: string) => {
    let inside = false;
    for (const pattern of config.files) {
      if (pattern.startsWith('!')) {
        if (matches(path, pattern.slice(1))) inside = false;
      } else if (matches(path, pattern)) inside = true;
    }
    return inside;
  };
  for (const path of ['package.json', 'app/main.js', 'app/preload.cjs', 'app/worker.js', 'app/training-worker.js', 'app/build-worker.js', 'app/webgpu-probe.js', 'app/renderer/index.html', 'app/renderer/assets/index-x1.js']) {
    assert.equal(included(path), true, `${path} must be packaged`);
  }
  for (const path of ['main/electron/main.ts', 'renderer/main.tsx', 'app/main.js.map', 'scripts/build-app.mjs', 'e2e/web.test.ts']) {
    assert.equal(included(path), false, `${path} must not be packaged`);
  }
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string };
  assert.equal(pkg.main, 'app/main.js', 'package.json "main" is the Electron main bundle');
});

test('the demo model and the quality text ship as extra resources under <resources>/models and <resources>/quality', () => {
  assert.deepEqual(
    config.extraResources.map(({ from, to }) => ({ from, to })),
    [
      { from: 'resources/models', to: 'models' },
      { from: 'resources/quality', to: 'quality' },
    ],
  );
  assert.ok(existsSync(join(root, 'resources/models/shakespeare-5m/config.json')), 'the bundled demo model is in the repo');
  assert.ok(existsSync(join(root, 'resources/quality/declaration-of-independence.txt')), 'the quality text is in the repo');
});

test('the packaged app has the hardening fuses set', () => {
  assert.deepEqual(config.electronFuses, {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    grantFileProtocolExtraPrivileges: false,
  });
});

test('the configuration is valid for electron-builder (its JSON schema)', () => {
  const Ajv = builderRequire('ajv') as new (options: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown } };
  const schema = JSON.parse(readFileSync(builderRequire.resolve('app-builder-lib/scheme.json'), 'utf8')) as object;
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  assert.equal(validate(config), true, JSON.stringify(validate.errors));
});
