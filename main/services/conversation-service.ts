// Conversations: create (with the first model of the library unless one is named), list,
// search, rename, update (model, precision, system prompt, parameters) and delete, which first
// stops a reply being written in it.
import type { z } from 'zod';
import type {
  Conversation,
  ConversationSummary,
  CreateConversationInputSchema,
  UpdateConversationInputSchema,
} from '../common/contracts/chat.ts';
import { ChatParamsSchema } from '../common/contracts/chat.ts';
import { ApiError } from '../common/contracts/api-error.ts';
import type { Store } from '../store/store.ts';
import type { EventBus } from './event-bus.ts';
import { conversationOf, conversationSummary, DEFAULT_CONVERSATION_TITLE, paramsOf, requireConversation } from './conversation-records.ts';
import { requireModel } from './model-records.ts';

export interface ConversationDependencies {
  /** Stops the reply being written in the conversation, if any, and waits until it is stored. */
  stopReply(conversationId: string): Promise<void>;
}

export class ConversationService {
  private readonly store: Store;
  private readonly bus: EventBus;
  private readonly dependencies: ConversationDependencies;

  constructor(store: Store, bus: EventBus, dependencies: ConversationDependencies) {
    this.store = store;
    this.bus = bus;
    this.dependencies = dependencies;
  }

  list(): ConversationSummary[] {
    return this.store.conversations.list().map(conversationSummary);
  }

  search(query: string): ConversationSummary[] {
    return this.store.conversations.search(query).map(conversationSummary);
  }

  get(conversationId: string): Conversation {
    return conversationOf(this.store, conversationId);
  }

  create(input: z.infer<typeof CreateConversationInputSchema>): Conversation {
    let modelId = input.modelId;
    if (modelId === undefined) modelId = this.store.models.list()[0]?.id ?? null;
    else if (modelId !== null) requireModel(this.store, modelId);
    const record = this.store.conversations.create({
      title: input.title?.trim() || DEFAULT_CONVERSATION_TITLE,
      modelId,
      precision: input.precision ?? null,
    });
    this.bus.emit({ type: 'conversations.changed' });
    return conversationOf(this.store, record.id);
  }

  rename(conversationId: string, title: string): void {
    requireConversation(this.store, conversationId);
    const trimmed = title.trim();
    if (trimmed === '') throw new ApiError('invalid-input', 'A conversation title cannot be blank.');
    this.store.conversations.rename(conversationId, trimmed);
    this.bus.emit({ type: 'conversations.changed' });
  }

  update(input: z.infer<typeof UpdateConversationInputSchema>): Conversation {
    const current = requireConversation(this.store, input.conversationId);
    if (input.modelId) requireModel(this.store, input.modelId);
    const params = input.params === undefined ? undefined : ChatParamsSchema.parse({ ...paramsOf(current), ...input.params });
    this.store.conversations.update(input.conversationId, {
      modelId: input.modelId,
      precision: input.precision,
      systemPrompt: input.systemPrompt,
      params,
    });
    this.bus.emit({ type: 'conversations.changed' });
    return conversationOf(this.store, input.conversationId);
  }

  async delete(conversationId: string): Promise<void> {
    requireConversation(this.store, conversationId);
    await this.dependencies.stopReply(conversationId);
    this.store.conversations.delete(conversationId);
    this.bus.emit({ type: 'conversations.changed' });
  }
}
