// hearth import <hf-dir|file.gguf> [--data-dir DIR] [--name NAME] [--copy] [--json]
// Adds a Hugging Face model folder to the library of a data directory, checked exactly as the
// app checks it (config, weights, tokenizer, chat template, no links out of the folder). It uses
// the library service directly: no worker starts, nothing is built (the app builds the chosen
// precision on first use), and it can run while the app is open on the same data directory.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiError } from '../../common/contracts/api-error.ts';
import { EventBus } from '../../services/event-bus.ts';
import { defaultDataDir } from '../../services/default-data-dir.ts';
import { LibraryService } from '../../services/library-service.ts';
import { databaseFileIn, openStore } from '../../store/store.ts';
import { StoreError } from '../../store/store-error.ts';
import { formatBytes } from '../byte-size.ts';
import { UsageError, type Command } from '../command.ts';

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

    let store;
    try {
      // The app may be running on this data directory: its streaming answers are not ours to mark interrupted.
      store = openStore(databaseFileIn(dataDir), { recoverInterruptedMessages: false });
    } catch (error) {
      if (error instanceof StoreError) throw new Error(error.message);
      throw error;
    }
    try {
      const library = new LibraryService(store, dataDir, new EventBus(), { busyReason: () => null, release: async () => {} });
      const model = await library.importModel({ path: resolve(positionals[0]), name: values.name, copy: values.copy || undefined });
      if (values.json) {
        console.log(JSON.stringify(model));
      } else {
        const millions = (model.parameters / 1e6).toFixed(2);
        console.log(`imported "${model.name}" with id ${model.id}`);
        console.log(`${model.architecture}, ${millions}M parameters, context ${model.contextLength} tokens, ${formatBytes(model.sizeOnDiskBytes)} on disk; library in ${dataDir}`);
        if (model.gguf) console.log(`GGUF ${model.gguf.fileType} (offered as downloaded), ${model.gguf.copied ? 'copied to' : 'read where it is:'} ${model.gguf.path}`);
      }
      return 0;
    } catch (error) {
      if (error instanceof ApiError) throw new Error(error.message);
      throw error;
    } finally {
      store.close();
    }
  },
};
