// The store as the app uses it: the database in the data directory, opened and migrated, with
// one repository per table group, and answers a crash left 'streaming' marked 'interrupted'.
import { join } from 'node:path';
import { AdaptersRepository } from './adapters-repository.ts';
import { ConversationsRepository } from './conversations-repository.ts';
import { openDatabase, type OpenDatabaseOptions, type StoreDatabase } from './database.ts';
import { DownloadsRepository } from './downloads-repository.ts';
import { JobsRepository } from './jobs-repository.ts';
import { MessagesRepository } from './messages-repository.ts';
import { ModelsRepository } from './models-repository.ts';
import { SettingsRepository } from './settings-repository.ts';

export const DATABASE_FILE_NAME = 'hearth.sqlite';

/** The database file inside a data directory (Electron's userData, or --data-dir). */
export function databaseFileIn(dataDir: string): string {
  return join(dataDir, DATABASE_FILE_NAME);
}

export interface OpenStoreOptions extends OpenDatabaseOptions {
  /**
   * Mark answers left 'streaming' as 'interrupted' (default true). A process that opens the
   * store beside a running app (e.g. `hearth import`) passes false; if it did not, a live
   * answer would show 'interrupted' only until its writer finishes it.
   */
  recoverInterruptedMessages?: boolean;
}

export interface Store {
  readonly database: StoreDatabase;
  readonly models: ModelsRepository;
  readonly conversations: ConversationsRepository;
  readonly messages: MessagesRepository;
  readonly settings: SettingsRepository;
  readonly jobs: JobsRepository;
  /** Downloads from the Hugging Face Hub: jobs of their own kind in the same table. */
  readonly downloads: DownloadsRepository;
  readonly adapters: AdaptersRepository;
  /** How many answers were found still 'streaming' at open and marked 'interrupted'. */
  readonly interruptedAtOpen: number;
  close(): void;
}

/**
 * Opens the store. Throws StoreError ('corrupt', 'locked', 'too-new', 'migration-failed') as
 * openDatabase does. The app opens it once, at start-up, before any answer streams: every
 * answer still 'streaming' at that moment is taken for one a crash cut off.
 */
export function openStore(file: string, options: OpenStoreOptions = {}): Store {
  const database = openDatabase(file, options);
  try {
    const messages = new MessagesRepository(database);
    const interruptedAtOpen = (options.recoverInterruptedMessages ?? true) ? messages.recoverInterruptedMessages() : 0;
    return {
      database,
      models: new ModelsRepository(database),
      conversations: new ConversationsRepository(database),
      messages,
      settings: new SettingsRepository(database),
      jobs: new JobsRepository(database),
      downloads: new DownloadsRepository(database),
      adapters: new AdaptersRepository(database),
      interruptedAtOpen,
      close: () => database.close(),
    };
  } catch (error) {
    database.close();
    throw error;
  }
}
