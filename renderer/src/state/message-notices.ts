// The notices shown under a message: what its own record says (the overflow policy left turns
// out, the answer was stopped, interrupted or failed) and what the event stream reported with
// it. Stored facts survive a reload; event notices add what only the live stream knows. The same
// sentence is never shown twice.
import type { Message } from '../../../main/common/contracts/chat.ts';
import type { EventNotice } from './chat-state.ts';

export interface ShownNotice {
  tone: 'info' | 'warning' | 'error';
  text: string;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

export function storedNotices(message: Message): ShownNotice[] {
  const notices: ShownNotice[] = [];
  const dropped = message.stats?.dropped;
  if (dropped && (dropped.turns > 0 || dropped.tokens > 0)) {
    notices.push({ tone: 'info', text: `Earlier turns were left out to fit the context (${plural(dropped.turns, 'turn')}, ${plural(dropped.tokens, 'token')}).` });
  }
  if (message.status === 'interrupted') {
    notices.push({ tone: 'warning', text: message.error ?? 'The model process stopped unexpectedly; the answer was interrupted. It has restarted.' });
  } else if (message.status === 'stopped') {
    notices.push({ tone: 'info', text: 'Stopped; the partial answer was kept.' });
  } else if (message.status === 'error') {
    notices.push({ tone: 'error', text: `The answer failed: ${message.error ?? 'no reason was given.'}` });
  }
  return notices;
}

const EVENT_TONE: Record<EventNotice['kind'], ShownNotice['tone']> = {
  'context-dropped': 'info',
  'worker-restarted': 'warning',
  'cpu-fallback': 'warning',
  error: 'error',
};

/** The notices for one message: its stored ones, then event notices that say something new. */
export function noticesFor(message: Message, events: readonly EventNotice[]): ShownNotice[] {
  const notices = storedNotices(message);
  const hasDropped = Boolean(message.stats && message.stats.dropped.turns + message.stats.dropped.tokens > 0);
  for (const event of events) {
    if (event.afterMessageId !== message.id) continue;
    if (event.kind === 'context-dropped' && hasDropped) continue; // the stats already say it, with numbers
    if (notices.some((n) => n.text === event.text)) continue;
    notices.push({ tone: EVENT_TONE[event.kind], text: event.text });
  }
  return notices;
}
