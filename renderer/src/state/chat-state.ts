// The open conversation as the chat view shows it: the stored conversation, grown live by the
// event stream (tokens append to the reply being written, `chat.ended` replaces it with the final
// message) and by the replies the user starts. A pure reducer, so the merge rules are tested
// without a DOM.
import type { Conversation, Message, ReplyStarted } from '../../../main/common/contracts/chat.ts';
import type { ApiEvent } from '../../../main/common/contracts/events.ts';

/** A notice from the event stream, shown after the message it arrived with. */
export interface EventNotice {
  kind: 'context-dropped' | 'worker-restarted' | 'cpu-fallback' | 'error';
  text: string;
  /** The message the notice belongs after; null when the conversation was empty. */
  afterMessageId: string | null;
}

export interface ChatState {
  conversation: Conversation | null;
  notices: EventNotice[];
}

/** How the reply being started relates to the messages already shown. */
export type ReplyKind = { kind: 'send'; text: string } | { kind: 'regenerate' } | { kind: 'edit'; messageId: string; text: string };

export type ChatAction =
  | { type: 'loaded'; conversation: Conversation }
  | { type: 'closed' }
  | { type: 'reply-started'; started: ReplyStarted; reply: ReplyKind; now: number }
  | { type: 'event'; event: ApiEvent };

export const EMPTY_CHAT: ChatState = { conversation: null, notices: [] };

function placeholder(conversationId: string, id: string, role: Message['role'], content: string, status: Message['status'], now: number): Message {
  return { id, conversationId, role, content, status, error: null, stats: null, createdAt: now };
}

/** Merges a freshly fetched conversation into what is shown, keeping streamed text the store has not caught up with. */
function mergeLoaded(state: ChatState, loaded: Conversation): ChatState {
  const same = state.conversation?.id === loaded.id;
  if (!same) return { conversation: loaded, notices: [] };
  const shown = new Map(state.conversation?.messages.map((m) => [m.id, m]));
  const messages = loaded.messages.map((message) => {
    const local = shown.get(message.id);
    // The store writes a growing reply about once a second; the events are ahead of it.
    if (message.status === 'streaming' && local && local.content.length > message.content.length) {
      return { ...message, content: local.content };
    }
    return message;
  });
  const ids = new Set(messages.map((m) => m.id));
  const notices = state.notices.filter((n) => n.afterMessageId === null || ids.has(n.afterMessageId));
  return { conversation: { ...loaded, messages }, notices };
}

function startReply(state: ChatState, started: ReplyStarted, reply: ReplyKind, now: number): ChatState {
  const conversation = state.conversation;
  if (!conversation || conversation.id !== started.conversationId) return state;
  const { assistantMessageId } = started;
  let messages = conversation.messages;
  // Tokens may have arrived before the call returned: that reply is already shown; keep it.
  const early = messages.find((m) => m.id === assistantMessageId);
  messages = messages.filter((m) => m.id !== assistantMessageId);

  if (reply.kind === 'send') {
    if (started.userMessageId && !messages.some((m) => m.id === started.userMessageId)) {
      messages = [...messages, placeholder(conversation.id, started.userMessageId, 'user', reply.text, 'complete', now)];
    }
  } else if (reply.kind === 'regenerate') {
    // The last reply is replaced: drop everything after the last user message.
    const lastUser = messages.findLastIndex((m) => m.role === 'user');
    messages = messages.slice(0, lastUser + 1);
  } else {
    const edited = messages.findIndex((m) => m.id === reply.messageId);
    if (edited >= 0) {
      const id = started.userMessageId ?? reply.messageId;
      messages = [...messages.slice(0, edited), { ...messages[edited], id, content: reply.text }];
    }
  }
  const assistant = early ?? placeholder(conversation.id, assistantMessageId, 'assistant', '', 'streaming', now);
  return { ...state, conversation: { ...conversation, messages: [...messages, assistant] } };
}

function applyEvent(state: ChatState, event: ApiEvent): ChatState {
  const conversation = state.conversation;
  if (!conversation) return state;
  switch (event.type) {
    case 'chat.token': {
      if (event.conversationId !== conversation.id) return state;
      const index = conversation.messages.findIndex((m) => m.id === event.messageId);
      const messages =
        index >= 0
          ? conversation.messages.map((m, i) => (i === index ? { ...m, content: m.content + event.text } : m))
          : [...conversation.messages, placeholder(conversation.id, event.messageId, 'assistant', event.text, 'streaming', Date.now())];
      return { ...state, conversation: { ...conversation, messages } };
    }
    case 'chat.ended': {
      if (event.conversationId !== conversation.id) return state;
      const final = event.message;
      const exists = conversation.messages.some((m) => m.id === final.id);
      const messages = exists ? conversation.messages.map((m) => (m.id === final.id ? final : m)) : [...conversation.messages, final];
      return { ...state, conversation: { ...conversation, messages } };
    }
    case 'chat.notice': {
      if (event.conversationId !== conversation.id) return state;
      const streaming = conversation.messages.findLast((m) => m.status === 'streaming');
      const afterMessageId = streaming?.id ?? conversation.messages.at(-1)?.id ?? null;
      const notice: EventNotice = { kind: event.kind, text: event.text, afterMessageId };
      return { ...state, notices: [...state.notices, notice] };
    }
    default:
      return state;
  }
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case 'loaded':
      return mergeLoaded(state, action.conversation);
    case 'closed':
      return EMPTY_CHAT;
    case 'reply-started':
      return startReply(state, action.started, action.reply, action.now);
    case 'event':
      return applyEvent(state, action.event);
  }
}

/** A reply is being written while any message of the conversation is still streaming. */
export function streamingMessage(state: ChatState): Message | undefined {
  return state.conversation?.messages.findLast((m) => m.status === 'streaming');
}
