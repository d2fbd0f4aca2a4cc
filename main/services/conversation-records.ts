// Store records of conversations and messages as the API shows them. JSON columns are checked
// against the contract's schemas on the way out: parameters fall back to the defaults field by
// field, and stats that do not parse are shown as none rather than failing the whole list.
import { ApiError } from '../common/contracts/api-error.ts';
import {
  ChatParamsSchema,
  DEFAULT_CHAT_PARAMS,
  MessageStatsSchema,
  type ChatParams,
  type Conversation,
  type ConversationSummary,
  type Message,
} from '../common/contracts/chat.ts';
import type { ConversationRecord } from '../store/conversations-repository.ts';
import type { MessageRecord } from '../store/messages-repository.ts';
import type { Store } from '../store/store.ts';

export function requireConversation(store: Store, conversationId: string): ConversationRecord {
  const conversation = store.conversations.get(conversationId);
  if (!conversation) throw new ApiError('not-found', `There is no conversation ${conversationId} (was it deleted?).`);
  return conversation;
}

/** The stored parameters over the defaults; a stored field that no longer validates takes its default. */
export function paramsOf(conversation: ConversationRecord): ChatParams {
  const params: Record<string, unknown> = { ...DEFAULT_CHAT_PARAMS };
  const shape = ChatParamsSchema.shape;
  for (const [key, value] of Object.entries(conversation.params)) {
    if (key in shape && shape[key as keyof typeof shape].safeParse(value).success) params[key] = value;
  }
  return ChatParamsSchema.parse(params);
}

export function messageOf(record: MessageRecord): Message {
  const stats = record.stats === null ? null : MessageStatsSchema.safeParse(record.stats);
  return {
    id: record.id,
    conversationId: record.conversationId,
    role: record.role,
    content: record.content,
    status: record.status,
    error: record.error,
    stats: stats?.success ? stats.data : null,
    createdAt: record.createdAt,
  };
}

export function conversationSummary(record: ConversationRecord): ConversationSummary {
  return { id: record.id, title: record.title, modelId: record.modelId, precision: record.precision, updatedAt: record.updatedAt };
}

export function conversationOf(store: Store, conversationId: string): Conversation {
  const found = store.conversations.getWithMessages(conversationId);
  if (!found) throw new ApiError('not-found', `There is no conversation ${conversationId} (was it deleted?).`);
  return {
    ...conversationSummary(found.conversation),
    adapterId: found.conversation.adapterId,
    systemPrompt: found.conversation.systemPrompt,
    params: paramsOf(found.conversation),
    messages: found.messages.map(messageOf),
  };
}
