// Which conversation the window has open, kept in the settings table so that a reload of the
// page and a restart of the app both reopen it. Stored as a setting, not in the page's own
// storage: the web shell's origin (its port) changes between launches, and the Electron app and
// the web shell share the data folder.
import { z } from 'zod';
import { ApiError } from '../common/contracts/api-error.ts';
import type { Store } from '../store/store.ts';

const OPEN_CONVERSATION_KEY = 'ui.openConversationId';
const StoredIdSchema = z.string().nullable();

export class OpenConversationSetting {
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  /** The remembered conversation, or null when none was open or it has been deleted since. */
  get(): string | null {
    let id: string | null | undefined;
    try {
      id = this.store.settings.get(OPEN_CONVERSATION_KEY, StoredIdSchema);
    } catch {
      // A value this Hearth does not understand only means nothing is reopened; the next set replaces it.
      return null;
    }
    if (!id || !this.store.conversations.get(id)) return null;
    return id;
  }

  /** Remembers `id` (null: a new chat, nothing to reopen); an unknown id is refused with 'not-found'. */
  set(id: string | null): void {
    if (id !== null && !this.store.conversations.get(id)) throw new ApiError('not-found', `There is no conversation ${id} to keep open (was it deleted?).`);
    this.store.settings.set(OPEN_CONVERSATION_KEY, StoredIdSchema, id);
  }
}
