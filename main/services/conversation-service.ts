// Conversations: create (with the first model of the library unless one is named, or the
// adapter's base model when one is chosen), list, search, rename, update (model, precision,
// adapter, system prompt, parameters) and delete, which first stops a reply being written in it.
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
import { DEFAULT_CONVERSATION_TITLE } from '../common/conversation-title.ts';
import { conversationOf, conversationSummary, paramsOf, requireConversation } from './conversation-records.ts';
import { requireAdapter } from './adapter-records.ts';
import { requireModel } from './model-records.ts';
import type { AdapterRecord } from '../store/adapters-repository.ts';

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
    const adapter = input.adapterId ? requireAdapter(this.store, input.adapterId) : null;
    let modelId = input.modelId;
    if (modelId === undefined) modelId = adapter?.baseModelId ?? this.store.models.list()[0]?.id ?? null;
    else if (modelId !== null) requireModel(this.store, modelId);
    if (adapter) checkAdapterFits(adapter, modelId, this.store);
    const record = this.store.conversations.create({
      title: input.title?.trim() || DEFAULT_CONVERSATION_TITLE,
      modelId,
      precision: input.precision ?? null,
      adapterId: adapter?.id ?? null,
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
    const modelId = input.modelId === undefined ? current.modelId : input.modelId;
    let adapterId = input.adapterId;
    if (adapterId) checkAdapterFits(requireAdapter(this.store, adapterId), modelId, this.store);
    else if (adapterId === undefined && current.adapterId !== null && modelId !== current.modelId) {
      // Another model: an adapter trained for the old one no longer applies.
      adapterId = null;
    }
    const params = input.params === undefined ? undefined : ChatParamsSchema.parse({ ...paramsOf(current), ...input.params });
    this.store.conversations.update(input.conversationId, {
      modelId: input.modelId,
      precision: input.precision,
      adapterId,
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

/** An adapter applies only over the model it was trained for. */
function checkAdapterFits(adapter: AdapterRecord, modelId: string | null, store: Store): void {
  if (modelId === adapter.baseModelId) return;
  const base = store.models.get(adapter.baseModelId)?.name ?? adapter.baseModelId;
  throw new ApiError('invalid-input', `The adapter ${adapter.name} was made for ${base}; choose that model to chat with it.`);
}
