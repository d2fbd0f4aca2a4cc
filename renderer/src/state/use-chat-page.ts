// What the chat page and the sidebar do with conversations: send (creating the conversation on
// the first message, titled by it), stop, regenerate, edit and resend, save the settings, drop
// the adapter, rename, delete, and start a chat with a fine-tuned adapter.
import { useCallback, useState } from 'react';
import type { ChatParams } from '../../../main/common/contracts/chat.ts';
import { conversationTitleFrom } from '../../../main/common/conversation-title.ts';
import type { Precision } from '../../../main/common/model-manifest.ts';
import type { ApiClient } from '../api/api-client.ts';
import type { ConversationListState } from './use-conversation-list.ts';
import type { OpenConversationState, Selection } from './use-open-conversation.ts';

export interface ChatPageState {
  /** True while a first message creates its conversation and the reply is asked for. */
  sending: boolean;
  send: (text: string) => Promise<boolean>;
  stop: () => Promise<void>;
  regenerate: () => Promise<void>;
  editAndResend: (messageId: string, text: string) => Promise<boolean>;
  saveSettings: (systemPrompt: string, params: ChatParams) => Promise<boolean>;
  removeAdapter: () => Promise<void>;
  renameConversation: (id: string, title: string) => Promise<void>;
  deleteConversation: (id: string) => Promise<void>;
  /** Creates a conversation that chats through the adapter, named after it, and opens it; false when that failed. */
  chatWithAdapter: (adapterId: string, adapterName: string) => Promise<boolean>;
}

export function useChatPage(
  client: ApiClient,
  report: (error: unknown) => void,
  open: OpenConversationState,
  selection: { selection: Selection; precision: Precision | null },
  list: Pick<ConversationListState, 'reloadConversations'>,
): ChatPageState {
  const [sending, setSending] = useState(false);
  const { conversation, show, setDraft, replyStarted, isOpen, closeIfOpen, reloadConversation } = open;
  const { reloadConversations } = list;
  const modelId = selection.selection.modelId;
  const precision = selection.precision;

  const send = useCallback(
    async (text: string): Promise<boolean> => {
      setSending(true);
      try {
        let id = conversation?.id;
        if (!id) {
          const created = await client.call('conversations.create', { modelId, precision, title: conversationTitleFrom(text) });
          show(created);
          id = created.id;
          void reloadConversations();
        }
        const started = await client.call('chat.send', { conversationId: id, text });
        replyStarted(started, { kind: 'send', text });
        return true;
      } catch (e) {
        report(e);
        return false;
      } finally {
        setSending(false);
      }
    },
    [client, conversation?.id, modelId, precision, reloadConversations, replyStarted, report, show],
  );

  const stop = useCallback(async () => {
    if (!conversation) return;
    try {
      await client.call('chat.stop', { conversationId: conversation.id });
    } catch (e) {
      report(e);
    }
  }, [client, conversation, report]);

  const regenerate = useCallback(async () => {
    if (!conversation) return;
    try {
      replyStarted(await client.call('chat.regenerate', { conversationId: conversation.id }), { kind: 'regenerate' });
    } catch (e) {
      report(e);
    }
  }, [client, conversation, replyStarted, report]);

  const editAndResend = useCallback(
    async (messageId: string, text: string): Promise<boolean> => {
      try {
        replyStarted(await client.call('chat.editAndResend', { messageId, text }), { kind: 'edit', messageId, text });
        return true;
      } catch (e) {
        report(e);
        return false;
      }
    },
    [client, replyStarted, report],
  );

  const saveSettings = useCallback(
    async (systemPrompt: string, params: ChatParams): Promise<boolean> => {
      if (!conversation) return false;
      try {
        show(await client.call('conversations.update', { conversationId: conversation.id, systemPrompt, params }));
        return true;
      } catch (e) {
        report(e);
        return false;
      }
    },
    [client, conversation, report, show],
  );

  const removeAdapter = useCallback(async () => {
    if (!conversation) return;
    try {
      show(await client.call('conversations.update', { conversationId: conversation.id, adapterId: null }));
    } catch (e) {
      report(e);
    }
  }, [client, conversation, report, show]);

  const renameConversation = useCallback(
    async (id: string, title: string) => {
      try {
        await client.call('conversations.rename', { conversationId: id, title });
        await reloadConversations();
        if (isOpen(id)) await reloadConversation(id);
      } catch (e) {
        report(e);
      }
    },
    [client, isOpen, reloadConversation, reloadConversations, report],
  );

  const deleteConversation = useCallback(
    async (id: string) => {
      try {
        await client.call('conversations.delete', { conversationId: id });
        closeIfOpen(id);
        await reloadConversations();
      } catch (e) {
        report(e);
      }
    },
    [client, closeIfOpen, reloadConversations, report],
  );

  const chatWithAdapter = useCallback(
    async (adapterId: string, adapterName: string): Promise<boolean> => {
      try {
        const created = await client.call('conversations.create', { adapterId, title: `Chat with ${adapterName}` });
        show(created);
        setDraft({ modelId: created.modelId, precision: created.precision });
        void reloadConversations();
        return true;
      } catch (e) {
        report(e);
        return false;
      }
    },
    [client, reloadConversations, report, setDraft, show],
  );

  return { sending, send, stop, regenerate, editAndResend, saveSettings, removeAdapter, renameConversation, deleteConversation, chatWithAdapter };
}
