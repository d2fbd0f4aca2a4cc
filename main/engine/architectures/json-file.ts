// Reads a JSON file of a model folder, turning a syntax error into a ConfigError that names the
// file and the line and column, so a hand-edited config is quick to fix.
import { readFile } from 'node:fs/promises';
import { ConfigError } from './config-error.ts';

/** The parsed file, or null when it does not exist and `optional` is set. */
export async function readJsonFile(path: string, options: { optional?: boolean; missingHint?: string } = {}): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && options.optional) return null;
    const problem = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (error as Error).message})`;
    throw new ConfigError(`${path} ${problem}. ${options.missingHint ?? ''}`.trim(), { file: path, cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const where = position ? lineAndColumn(text, Number(position[1])) : 'at the end of the file';
    throw new ConfigError(`${path} is not valid JSON: ${message.replace(/ in JSON at position \d+.*$/, '')} ${where}. Fix the file or download the model again.`, {
      file: path,
      cause: error,
    });
  }
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `at line ${line}, column ${column}`;
}
