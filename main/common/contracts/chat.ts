// Conversations and messages as the UI sees them.
import { z } from 'zod';
import { PrecisionSchema } from '../model-manifest.ts';

export const OverflowPolicySchema = z.enum(['stop', 'truncate-middle', 'rolling-window']);
export type OverflowPolicy = z.infer<typeof OverflowPolicySchema>;

export const ChatParamsSchema = z.object({
  temperature: z.number().min(0).max(5),
  topP: z.number().gt(0).max(1),
  maxTokens: z.number().int().min(1).max(32768),
  contextLength: z.number().int().min(64).max(1_048_576),
  overflow: OverflowPolicySchema,
});
export type ChatParams = z.infer<typeof ChatParamsSchema>;

export const DEFAULT_CHAT_PARAMS: ChatParams = { temperature: 0.7, topP: 0.95, maxTokens: 512, contextLength: 2048, overflow: 'truncate-middle' };

export const MessageRoleSchema = z.enum(['system', 'user', 'assistant']);
export const MessageStatusSchema = z.enum(['complete', 'streaming', 'interrupted', 'error', 'stopped']);

export const MessageStatsSchema = z.object({
  tokens: z.number().int(),
  tokensPerSecond: z.number(),
  ttftMs: z.number(),
  promptTokens: z.number().int(),
  reusedTokens: z.number().int(),
  /** What the overflow policy left out of the prompt for this reply. */
  dropped: z.object({ turns: z.number().int(), tokens: z.number().int() }),
  device: z.enum(['cpu', 'gpu']),
  stopReason: z.string(),
});
export type MessageStats = z.infer<typeof MessageStatsSchema>;

export const MessageSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  role: MessageRoleSchema,
  content: z.string(),
  status: MessageStatusSchema,
  error: z.string().nullable(),
  stats: MessageStatsSchema.nullable(),
  createdAt: z.number(),
});
export type Message = z.infer<typeof MessageSchema>;

export const ConversationSummarySchema = z.object({
  id: z.string(),
  title: z.string(),
  modelId: z.string().nullable(),
  precision: PrecisionSchema.nullable(),
  updatedAt: z.number(),
});
export type ConversationSummary = z.infer<typeof ConversationSummarySchema>;

export const ConversationSchema = ConversationSummarySchema.extend({
  /** The LoRA adapter applied over the model in this conversation, or null for the model alone. */
  adapterId: z.string().nullable(),
  systemPrompt: z.string(),
  params: ChatParamsSchema,
  messages: z.array(MessageSchema),
});
export type Conversation = z.infer<typeof ConversationSchema>;

export const CreateConversationInputSchema = z.object({
  modelId: z.string().nullable().optional(),
  precision: PrecisionSchema.nullable().optional(),
  /** Chat with this adapter over its base model (the model defaults to the adapter's base). */
  adapterId: z.string().nullable().optional(),
  title: z.string().max(200).optional(),
});
export const ConversationIdInputSchema = z.object({ conversationId: z.string() });
/** The conversation the window has open; null for a new chat not yet sent. */
export const OpenConversationSchema = z.object({ conversationId: z.string().min(1).max(200).nullable() });
export const RenameConversationInputSchema = z.object({ conversationId: z.string(), title: z.string().min(1).max(200) });
export const SearchConversationsInputSchema = z.object({ query: z.string().max(500) });
export const UpdateConversationInputSchema = z.object({
  conversationId: z.string(),
  modelId: z.string().nullable().optional(),
  precision: PrecisionSchema.nullable().optional(),
  /** An adapter of the conversation's model, or null for the model alone; changing the model drops an adapter made for the old one. */
  adapterId: z.string().nullable().optional(),
  systemPrompt: z.string().max(100_000).optional(),
  params: ChatParamsSchema.partial().optional(),
});
export const SendMessageInputSchema = z.object({ conversationId: z.string(), text: z.string().min(1).max(1_000_000) });
export const EditMessageInputSchema = z.object({ messageId: z.string(), text: z.string().min(1).max(1_000_000) });
/** A reply started: its message id, so the UI can follow its tokens. */
export const ReplyStartedSchema = z.object({ conversationId: z.string(), userMessageId: z.string().nullable(), assistantMessageId: z.string() });
export type ReplyStarted = z.infer<typeof ReplyStartedSchema>;
