// What the web shell serves: the API handlers and the event stream. main/services'
// createServices() provides both; tests give a fake. Closing the backend is its owner's job.
import type { ApiHandlers } from '../common/contracts/api.ts';
import type { ApiEvent } from '../common/contracts/events.ts';

export interface ApiBackend {
  handlers: ApiHandlers;
  events: {
    /** Calls `listener` for each event from now on; the returned function stops that. */
    subscribe(listener: (event: ApiEvent) => void): () => void;
  };
}
