// Conversations and messages as the UI sees them.
import { z } from 'zod';
import { PrecisionSchema } from '../model-manifest.ts';

export const OverflowPolicySchema = z.enum(['stop', 'truncate-middle', 'rolling-window']);
export type OverflowPolicy = z.infer<typeof OverflowPolicySchema>;

/** The most stop strings a conversation keeps, as the OpenAI API allows a request (and /v1 takes 16). */
export const MAX_STOP_STRINGS = 16;
export const MAX_STOP_STRING_LENGTH = 200;
/** Seeds are 32-bit, as the sampler's SeededRandom and `hearth run --seed` take them. */
export const MAX_SEED = 2 ** 32 - 1;

// Each parameter once, without defaults: an update names only what it changes, and zod 4 fills
// defaults in even under .partial(), which would reset the fields an update leaves out.
const CHAT_PARAM_FIELDS = {
  temperature: z.number().min(0).max(5),
  topP: z.number().gt(0).max(1),
  maxTokens: z.number().int().min(1).max(32768),
  contextLength: z.number().int().min(64).max(1_048_576),
  overflow: OverflowPolicySchema,
  /** Sample among the k most likely tokens; 0 is off. */
  topK: z.number().int().min(0).max(1000),
  /** Drop tokens less likely than this fraction of the most likely one; 0 is off. */
  minP: z.number().min(0).max(1),
  /** Above 1 makes tokens already in the prompt or reply less likely (the CTRL/HF penalty); 1 is off. */
  repetitionPenalty: z.number().min(0.5).max(2),
  /** The same seed, conversation and settings give the same reply; null draws a random seed each reply. */
  seed: z.number().int().min(0).max(MAX_SEED).nullable(),
  /** Text that ends the reply where it appears; it is left out of the reply. */
  stop: z.array(z.string().min(1).max(MAX_STOP_STRING_LENGTH)).max(MAX_STOP_STRINGS),
};

/** The sampling the chat had before these fields were settings (generate()'s top-k 50, no min-p, no penalty, a random seed). */
const SAMPLING_DEFAULTS = { topK: 50, minP: 0, repetitionPenalty: 1, seed: null, stop: [] as string[] };

/** Parameters stored before a field existed parse with its default, so old conversations keep answering as they did. */
export const ChatParamsSchema = z.object({
  ...CHAT_PARAM_FIELDS,
  topK: CHAT_PARAM_FIELDS.topK.default(SAMPLING_DEFAULTS.topK),
  minP: CHAT_PARAM_FIELDS.minP.default(SAMPLING_DEFAULTS.minP),
  repetitionPenalty: CHAT_PARAM_FIELDS.repetitionPenalty.default(SAMPLING_DEFAULTS.repetitionPenalty),
  seed: CHAT_PARAM_FIELDS.seed.default(SAMPLING_DEFAULTS.seed),
  stop: CHAT_PARAM_FIELDS.stop.default(() => [...SAMPLING_DEFAULTS.stop]),
});
export type ChatParams = z.infer<typeof ChatParamsSchema>;
/** Some of the parameters, as an update gives them; nothing left out is filled in. */
export const ChatParamsUpdateSchema = z.object(CHAT_PARAM_FIELDS).partial();

export const DEFAULT_CHAT_PARAMS: ChatParams = {
  temperature: 0.7,
  topP: 0.95,
  maxTokens: 512,
  contextLength: 2048,
  overflow: 'truncate-middle',
  ...SAMPLING_DEFAULTS,
  stop: [],
};

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
  params: ChatParamsUpdateSchema.optional(),
});
export const SendMessageInputSchema = z.object({ conversationId: z.string(), text: z.string().min(1).max(1_000_000) });
export const EditMessageInputSchema = z.object({ messageId: z.string(), text: z.string().min(1).max(1_000_000) });
/** A reply started: its message id, so the UI can follow its tokens. */
export const ReplyStartedSchema = z.object({ conversationId: z.string(), userMessageId: z.string().nullable(), assistantMessageId: z.string() });
export type ReplyStarted = z.infer<typeof ReplyStartedSchema>;
