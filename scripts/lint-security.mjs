#!/usr/bin/env node
// `npm run lint:security`: Electronegativity over the Electron sources (main/electron/) and the
// built app (app/: main.js, preload.cjs, worker.js, training-worker.js, build-worker.js, webgpu-probe.js, renderer/), failing on any finding at MEDIUM
// severity or above. Electronegativity's own CLI prints a table and always exits 0, so this runs
// its scanner as a library and decides the exit code here. A finding that was reviewed and is
// safe is silenced at its line with `/* eng-disable CHECK_ID */` and a comment saying why.
// The bundles lose comments, so a finding in app/*.js is traced back through the bundle's source
// map to its source line, and that line's eng-disable comment (if any) is what counts.
import { createRequire, SourceMap } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const runElectronegativity = require('@doyensec/electronegativity');
const electronVersion = JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')).version;

const SEVERITY_ORDER = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH'];
const threshold = SEVERITY_ORDER.indexOf('MEDIUM');

// Electronegativity's global checks (CSP, navigation limits, permission handler) judge one
// input as a whole app, so each input must be a complete app: the sources, and the bundles.
const inputs = [
  { path: 'main/electron', what: 'the Electron sources' },
  { path: 'app', what: 'the built app (npm run build)', needs: ['app/main.js', 'app/preload.cjs'] },
];

const ENG_DISABLE = /(?:\/\*|\/\/)[ \t]*eng-disable[ \t]+([\w \t]+)/i;

/** Where a finding in a bundle comes from, through its .map, with that source line's text; null without a map. */
function sourceOf(bundleFile, line, column) {
  const mapFile = `${bundleFile}.map`;
  if (!existsSync(mapFile)) return null;
  const map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')));
  const entry = map.findEntry(line - 1, column);
  if (!entry?.originalSource) return null;
  const sourceFile = entry.originalSource.startsWith('file://') ? new URL(entry.originalSource).pathname : resolve(dirname(mapFile), entry.originalSource);
  if (!existsSync(sourceFile)) return null;
  const text = readFileSync(sourceFile, 'utf8').split('\n')[entry.originalLine] ?? '';
  return { file: relative(root, sourceFile), line: entry.originalLine + 1, text };
}

/** Whether a bundle finding was reviewed and silenced with eng-disable at its source line. */
function disabledAtSource(source, checkId) {
  const rules = source?.text.match(ENG_DISABLE)?.[1].trim().split(/[\s,]+/) ?? [];
  return rules.some((rule) => rule.toUpperCase() === checkId.toUpperCase());
}

let failures = 0;
for (const input of inputs) {
  const missing = (input.needs ?? [input.path]).filter((p) => !existsSync(join(root, p)));
  if (missing.length > 0) {
    console.error(`lint:security: ${missing.join(', ')} missing; build first (node scripts/build-app.mjs --bundles-only).`);
    failures++;
    continue;
  }
  const result = await runElectronegativity({
    input: join(root, input.path),
    isRelative: true,
    electronVersionOverride: electronVersion,
    customScan: [],
    excludeFromScan: [],
    parserPlugins: [],
  });
  const atLeastMedium = result.issues.filter((issue) => SEVERITY_ORDER.indexOf(issue.severity.name) >= threshold);
  const serious = [];
  for (const issue of atLeastMedium) {
    const source = issue.file === 'N/A' ? null : sourceOf(join(root, input.path, issue.file), issue.location.line, issue.location.column);
    if (disabledAtSource(source, issue.id)) {
      console.log(`  reviewed: ${issue.id} ${join(input.path, issue.file)}:${issue.location.line} is disabled at ${source.file}:${source.line}`);
    } else serious.push({ ...issue, source });
  }
  const unparsed = result.errors.filter((error) => !error.tolerable);
  for (const error of unparsed) console.error(`  could not parse ${relative(root, error.file)}: ${error.message}`);
  for (const issue of serious) {
    const from = issue.source ? ` (from ${issue.source.file}:${issue.source.line})` : '';
    console.error(`  ${issue.severity.name} ${issue.id} ${join(input.path, issue.file)}:${issue.location.line}:${issue.location.column}${from}\n    ${issue.description} (${issue.shortenedURL})`);
  }
  const minor = result.issues.length - serious.length;
  console.log(`lint:security: ${input.what} (${input.path}): ${serious.length} finding(s) at MEDIUM or above, ${minor} below, ${unparsed.length} unparsed file(s).`);
  failures += serious.length + unparsed.length;
}
process.exit(failures > 0 ? 1 : 0);
