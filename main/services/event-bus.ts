// The one stream of ApiEvents the main side pushes to the UI (IPC events in the app, SSE in the
// web shell). Every event is checked against its schema before it leaves, so a malformed event
// is a bug found here rather than in the renderer.
import { ApiEventSchema, type ApiEvent } from '../common/contracts/events.ts';

export type ApiEventListener = (event: ApiEvent) => void;

export class EventBus {
  private readonly listeners = new Set<ApiEventListener>();

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: ApiEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: ApiEvent): void {
    const checked = ApiEventSchema.parse(event);
    for (const listener of [...this.listeners]) {
      try {
        listener(checked);
      } catch (error) {
        // One broken subscriber (a closed SSE stream) must not stop the others or the reply.
        console.error('hearth: an event listener failed:', error);
      }
    }
  }
}
