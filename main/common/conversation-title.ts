// A conversation's first title: the first line of its first message, cut to fit the sidebar.
// The renderer names a conversation with it when it creates one and the chat service when the
// first message arrives, so the title shown before saving is the title stored.

/** The title of a conversation nothing has named yet. */
export const DEFAULT_CONVERSATION_TITLE = 'New chat';

/** Longest title, in UTF-16 code units, the ellipsis included. */
export const CONVERSATION_TITLE_LENGTH = 60;

/** The first non-empty line of `text`, trimmed and cut to CONVERSATION_TITLE_LENGTH with an ellipsis; DEFAULT_CONVERSATION_TITLE when there is none. */
export function conversationTitleFrom(text: string): string {
  const line = text.trim().split('\n')[0].trim();
  if (line === '') return DEFAULT_CONVERSATION_TITLE;
  if (line.length <= CONVERSATION_TITLE_LENGTH) return line;
  return `${line.slice(0, CONVERSATION_TITLE_LENGTH - 1).trimEnd()}…`;
}
