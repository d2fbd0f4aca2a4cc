#!/usr/bin/env node
// Runs every `*.test.ts` beside the code it tests with Node's own test runner.
// Node 20's runner does not expand globs, so the files are listed here.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const roots = ['main', 'renderer', 'scripts'];
// End-to-end specs (e2e/) join the run only as `*.test.ts` files; their helpers are not tests.
const e2eRoot = 'e2e';
const filter = process.argv.slice(2);

function collect(dir, out, pattern = /\.test\.tsx?$/) {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) collect(path, out, pattern);
    else if (pattern.test(entry)) out.push(relative(root, path));
  }
  return out;
}

let files = roots.flatMap((r) => { try { return collect(join(root, r), []); } catch { return []; } });
try { files.push(...collect(join(root, e2eRoot), [], /\.test\.ts$/)); } catch { /* no e2e folder */ }
if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)));
files.sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
