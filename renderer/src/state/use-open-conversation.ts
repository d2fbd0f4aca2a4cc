// The conversation the chat page shows, with its streaming reply and notices (chatReducer), and
// the model choice for a new chat that has none yet (the draft). The open conversation is
// remembered on the main side, so a reload of the window or a restart of the app reopens it.
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import type { Conversation, ReplyStarted } from '../../../main/common/contracts/chat.ts';
import type { ApiEvent } from '../../../main/common/contracts/events.ts';
import type { Precision } from '../../../main/common/model-manifest.ts';
import type { ApiClient } from '../api/api-client.ts';
import { chatReducer, EMPTY_CHAT, type ChatState, type ReplyKind } from './chat-state.ts';

export interface Selection {
  modelId: string | null;
  /** null: follow the plan's recommendation. */
  precision: Precision | null;
}

export interface OpenConversationState {
  chat: ChatState;
  conversation: Conversation | null;
  /** The model and precision of a new chat (a conversation, once open, has its own). */
  draft: Selection;
  setDraft: (draft: Selection) => void;
  /** Loads a conversation and shows it, its model becoming the draft. */
  open: (id: string) => Promise<void>;
  /** Shows a conversation as the main side just returned it. */
  show: (conversation: Conversation) => void;
  /** Closes the conversation for a new chat with the same model and precision. */
  startNew: () => void;
  /** Closes the conversation if it is the one shown (it was deleted). */
  closeIfOpen: (id: string) => void;
  isOpen: (id: string) => boolean;
  reloadConversation: (id: string) => Promise<void>;
  replyStarted: (started: ReplyStarted, reply: ReplyKind) => void;
  handleEvent: (event: ApiEvent) => void;
}

export function useOpenConversation(client: ApiClient, report: (error: unknown) => void): OpenConversationState {
  const [chat, dispatch] = useReducer(chatReducer, EMPTY_CHAT);
  const [draft, setDraft] = useState<Selection>({ modelId: null, precision: null });
  const conversation = chat.conversation;

  const conversationIdRef = useRef<string | null>(null);
  conversationIdRef.current = conversation?.id ?? null;
  /** Set once the user opened or closed a conversation: the remembered one must not replace it. */
  const chosenByUser = useRef(false);

  const loadAndShow = useCallback(
    async (id: string) => {
      try {
        const loaded = await client.call('conversations.get', { conversationId: id });
        dispatch({ type: 'loaded', conversation: loaded });
        setDraft({ modelId: loaded.modelId, precision: loaded.precision });
      } catch (e) {
        report(e);
      }
    },
    [client, report],
  );

  const open = useCallback(
    (id: string) => {
      chosenByUser.current = true;
      return loadAndShow(id);
    },
    [loadAndShow],
  );

  const show = useCallback((loaded: Conversation) => {
    chosenByUser.current = true;
    dispatch({ type: 'loaded', conversation: loaded });
  }, []);

  const startNew = useCallback(() => {
    chosenByUser.current = true;
    if (conversation) setDraft({ modelId: conversation.modelId, precision: conversation.precision });
    dispatch({ type: 'closed' });
  }, [conversation]);

  const closeIfOpen = useCallback((id: string) => {
    if (id === conversationIdRef.current) dispatch({ type: 'closed' });
  }, []);

  const isOpen = useCallback((id: string) => id === conversationIdRef.current, []);

  const reloadConversation = useCallback(
    async (id: string) => {
      try {
        const loaded = await client.call('conversations.get', { conversationId: id });
        if (conversationIdRef.current === null || conversationIdRef.current === id) dispatch({ type: 'loaded', conversation: loaded });
      } catch (e) {
        report(e);
      }
    },
    [client, report],
  );

  const replyStarted = useCallback((started: ReplyStarted, reply: ReplyKind) => dispatch({ type: 'reply-started', started, reply, now: Date.now() }), []);

  const handleEvent = useCallback(
    (event: ApiEvent) => {
      dispatch({ type: 'event', event });
      if (event.type === 'chat.ended' && event.conversationId === conversationIdRef.current) void reloadConversation(event.conversationId);
    },
    [reloadConversation],
  );

  // Reopen the remembered conversation, unless the user has already chosen one; only then start
  // remembering, so the empty start does not overwrite it.
  const [restored, setRestored] = useState(false);
  useEffect(() => {
    let current = true;
    client
      .call('app.openConversation', {})
      .then(async ({ conversationId }) => {
        if (current && conversationId && !chosenByUser.current) await loadAndShow(conversationId);
      })
      .catch(report)
      .finally(() => current && setRestored(true));
    return () => {
      current = false;
    };
  }, [client, loadAndShow, report]);

  const openId = conversation?.id ?? null;
  useEffect(() => {
    if (!restored) return;
    // Bookkeeping, not something the user asked for: a failure (the conversation deleted meanwhile) is only logged.
    client.call('app.setOpenConversation', { conversationId: openId }).catch((e: unknown) => console.warn('Hearth: could not remember the open conversation', e));
  }, [client, openId, restored]);

  return { chat, conversation, draft, setDraft, open, show, startNew, closeIfOpen, isOpen, reloadConversation, replyStarted, handleEvent };
}
