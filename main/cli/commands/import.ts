// hearth import <hf-dir|file.gguf> [--data-dir DIR] [--name NAME] [--copy] [--json]
// Adds a Hugging Face model folder to the library of a data directory, checked exactly as the
// app checks it (config, weights, tokenizer, chat template, no links out of the folder), through
// library-import.ts: nothing is built (the app builds the chosen precision on first use).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultDataDir } from '../../services/default-data-dir.ts';
import { UsageError, type Command } from '../command.ts';
import { importIntoLibrary } from '../library-import.ts';

export const importCommand: Command = {
  name: 'import',
  summary: 'add a Hugging Face model folder or a GGUF file to the library',
  usage:
    'hearth import <hf-dir|file.gguf> [--data-dir DIR] [--name NAME] [--copy] [--json]\n\n' +
    'Checks the folder (config.json, .safetensors weights, tokenizer.json with a chat template; no symbolic links\n' +
    'leaving the folder) and adds it to the library in DIR (default: $HEARTH_DATA_DIR, else ' +
    `${defaultDataDir({})}). The folder is read where it is, not copied.\n` +
    'A .gguf file (llama.cpp, LM Studio, Ollama) is checked the same way and read where it is; --copy copies it into DIR.\n' +
    'Prints the model\'s id and name; --json prints the library entry as one JSON line.',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { 'data-dir': { type: 'string' }, name: { type: 'string' }, copy: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one Hugging Face model folder or GGUF file');
    if (values.name !== undefined && values.name.trim() === '') throw new UsageError('--name cannot be blank');
    const dataDir = values['data-dir'] === undefined ? defaultDataDir() : resolve(values['data-dir']);

    await importIntoLibrary(dataDir, { path: resolve(positionals[0]), name: values.name, copy: values.copy || undefined }, values.json);
    return 0;
  },
};
