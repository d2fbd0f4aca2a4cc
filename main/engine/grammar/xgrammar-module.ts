// Loads @mlc-ai/web-xgrammar (xgrammar compiled to WebAssembly, the WASM inlined in its one
// JavaScript file) as separate instances, each with its own WebAssembly memory.
//
// Why not a plain `import`: the package declares "type": "module" but ships a UMD file that reads
// `require`, `__filename` and `exports`, which an ES module does not have, so importing it fails
// under Node ("require is not defined in ES module scope"). The file is read and run as the
// CommonJS module it is, with those names supplied; it is found from this module's own URL, which
// works from the sources (tsx), from the esbuild bundle in app/ and from the packaged app (the
// production node_modules ship beside the bundle).
//
// Why instances: xgrammar reports a schema it cannot handle by printing "[FATAL] …" and calling
// abort(), which throws out of the WebAssembly code without unwinding it (its stack pointer and
// whatever it had allocated stay as they were). An instance that aborted is therefore replaced by
// a fresh one (see GrammarCompilers), and each instance gets its own `console` so that the fatal
// line can be read back and shown as the reason.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type * as XGrammar from '@mlc-ai/web-xgrammar';

export type XGrammarApi = Pick<typeof XGrammar, 'GrammarCompiler' | 'GrammarMatcher' | 'TokenizerInfo'>;

export interface XGrammarInstance {
  readonly api: XGrammarApi;
  /** Lines the library printed since the last call (its log and errors), oldest first. */
  takeOutput(): string[];
}

const PACKAGE = '@mlc-ai/web-xgrammar';
/** Lines of output kept per instance: enough for the last error, bounded however chatty it is. */
const OUTPUT_LINES = 20;

type ModuleFactory = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string, console: object) => void;

let factory: { run: ModuleFactory; file: string } | null = null;

/** The package file compiled once; each call of `run` makes an independent instance. */
function moduleFactory(): { run: ModuleFactory; file: string } {
  if (factory) return factory;
  let file: string;
  try {
    file = createRequire(import.meta.url).resolve(PACKAGE);
  } catch (error) {
    throw new Error(`Structured output needs the ${PACKAGE} package, which cannot be found (${(error as Error).message}). Run npm ci.`);
  }
  // new Function rather than node:vm: the file does `await import('module')`, which code from
  // vm.compileFunction may only do behind an experimental flag or warning.
  const source = `${readFileSync(file, 'utf8')}\n//# sourceURL=${file}`;
  const run = new Function('exports', 'require', 'module', '__filename', '__dirname', 'console', source) as ModuleFactory;
  factory = { run, file };
  return factory;
}

export function loadXGrammarInstance(): XGrammarInstance {
  const { run, file } = moduleFactory();
  const output: string[] = [];
  const keep = (...args: unknown[]) => {
    output.push(args.map(String).join(' '));
    if (output.length > OUTPUT_LINES) output.shift();
  };
  // The library's whole console: nothing it prints reaches the process's stdout (which carries
  // `hearth run --json`'s result) or stderr; errors that matter are thrown with these lines.
  const quietConsole = { log: keep, info: keep, warn: keep, error: keep, debug: keep };
  const module = { exports: {} };
  run(module.exports, createRequire(file), module, file, dirname(file), quietConsole);
  return {
    api: module.exports as XGrammarApi,
    takeOutput: () => output.splice(0, output.length),
  };
}
