// Adds a model to the library of a data directory from the command line (hearth import, and
// hearth pull once its files are verified), through the library service directly: no worker
// starts and nothing is built, so it can run while the app is open on the same data directory.
// Prints the model's id and name, or with --json the library entry as one JSON line.
import { ApiError } from '../common/contracts/api-error.ts';
import { EventBus } from '../services/event-bus.ts';
import { LibraryService } from '../services/library-service.ts';
import { databaseFileIn, openStore } from '../store/store.ts';
import { StoreError } from '../store/store-error.ts';
import { formatBytes } from './byte-size.ts';

export interface LibraryImport {
  path: string;
  name?: string;
  copy?: boolean;
}

/** Imports and reports; a refusal becomes an Error whose message `refusal` words (default: the library's own). */
export async function importIntoLibrary(dataDir: string, input: LibraryImport, json: boolean, refusal = (message: string) => message): Promise<void> {
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
    const model = await library.importModel(input);
    if (json) {
      console.log(JSON.stringify(model));
      return;
    }
    console.log(`imported "${model.name}" with id ${model.id}`);
    console.log(`${model.architecture}, ${(model.parameters / 1e6).toFixed(2)}M parameters, context ${model.contextLength} tokens, ${formatBytes(model.sizeOnDiskBytes)} on disk; library in ${dataDir}`);
    if (model.gguf) console.log(`GGUF ${model.gguf.fileType} (offered as downloaded), ${model.gguf.copied ? 'copied to' : 'read where it is:'} ${model.gguf.path}`);
  } catch (error) {
    if (error instanceof ApiError) throw new Error(refusal(error.message));
    throw error;
  } finally {
    store.close();
  }
}
