// Reads a Hugging Face tokenizer folder (tokenizer.json, tokenizer_config.json and, as
// transformers 4.47+ saves it, an optional chat_template.jinja) into a TextTokenizer.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TextTokenizer } from './text-tokenizer.ts';
import type { TokenizerConfigJson } from './text-tokenizer.ts';

export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
export const CHAT_TEMPLATE_FILE = 'chat_template.jinja';

/** A tokenizer folder is missing a file, or holds one that cannot be read. */
export class TokenizerLoadError extends Error {
  override name = 'TokenizerLoadError';
}

async function readTextOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new TokenizerLoadError(`Cannot read ${path}: ${(error as Error).message}`);
  }
}

async function readJsonObject(path: string): Promise<Record<string, unknown>> {
  const text = await readTextOrNull(path);
  if (text === null) {
    throw new TokenizerLoadError(`${path} is missing. A tokenizer folder needs ${TOKENIZER_FILE} and ${TOKENIZER_CONFIG_FILE} as Hugging Face saves them.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TokenizerLoadError(`${path} is not valid JSON (${(error as Error).message}). Download the file again.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenizerLoadError(`${path} should hold a JSON object.`);
  }
  return value as Record<string, unknown>;
}

/** The config may hold one template, or a list of named ones of which "default" is the chat template. */
function templateFromConfig(config: TokenizerConfigJson, path: string): string | null {
  const entry = config.chat_template;
  if (entry === undefined || entry === null) return null;
  if (typeof entry === 'string') return entry;
  if (Array.isArray(entry)) {
    const chosen = entry.find((t) => t.name === 'default') ?? entry[0];
    if (chosen && typeof chosen.template === 'string') return chosen.template;
  }
  throw new TokenizerLoadError(`${path}: chat_template should be a string or a list of {name, template}.`);
}

export async function loadTokenizer(dir: string): Promise<TextTokenizer> {
  const tokenizerPath = join(dir, TOKENIZER_FILE);
  const configPath = join(dir, TOKENIZER_CONFIG_FILE);
  const tokenizerJson = await readJsonObject(tokenizerPath);
  const config = (await readJsonObject(configPath)) as TokenizerConfigJson;
  if (typeof tokenizerJson.model !== 'object' || tokenizerJson.model === null) {
    throw new TokenizerLoadError(`${tokenizerPath} has no "model" section; it does not look like a Hugging Face fast tokenizer file.`);
  }
  // transformers prefers the separate file over the config entry when both exist.
  const chatTemplate = (await readTextOrNull(join(dir, CHAT_TEMPLATE_FILE))) ?? templateFromConfig(config, configPath);
  try {
    return new TextTokenizer({ tokenizerJson, config, chatTemplate, origin: dir });
  } catch (error) {
    if (error instanceof TokenizerLoadError) throw error;
    const message = (error as Error).message;
    // Messages that already name the file (a special token tokenizer.json lacks) need only the fix.
    if (message.startsWith(dir)) throw new TokenizerLoadError(`${message} Fix the file, or download the model again.`);
    throw new TokenizerLoadError(`${dir}: the tokenizer could not be built from ${TOKENIZER_FILE} and ${TOKENIZER_CONFIG_FILE}: ${message}`);
  }
}
