// The messages between the main side (the engine host) and the inference worker process: one
// zod schema per message, each side validating what it receives. Errors cross as data
// ({ code, message }), never as thrown objects, because a process boundary cannot carry them.
// Every message is plain JSON (no NaN, no typed arrays) so that both child_process's IPC
// channel and Electron's utilityProcess port carry it unchanged.
import { z } from 'zod';
import { ApiErrorCodeSchema } from '../common/contracts/api-error.ts';
import { ChatParamsSchema } from '../common/contracts/chat.ts';
import { ResponseFormatSchema } from '../common/contracts/response-format.ts';
import { ToolCallSchema, ToolDefinitionSchema } from '../common/contracts/tool-calls.ts';

/** Where a model runs: 'gpu' means onnxruntime's WebGPU execution provider. */
export const WorkerDeviceSchema = z.enum(['cpu', 'gpu']);
export type WorkerDevice = z.infer<typeof WorkerDeviceSchema>;

/** The API's error codes, plus 'webgpu-failed': the host answers it by loading on the CPU (with the reason shown). */
export const WorkerErrorCodeSchema = z.union([ApiErrorCodeSchema, z.literal('webgpu-failed')]);
export type WorkerErrorCode = z.infer<typeof WorkerErrorCodeSchema>;
export const WorkerErrorSchema = z.object({ code: WorkerErrorCodeSchema, message: z.string() });
export type WorkerError = z.infer<typeof WorkerErrorSchema>;

const RequestId = z.string().min(1);

// ---- host → worker ----

/** Opens a built model folder (hearth.json, model.onnx) and makes it the loaded model, releasing the previous one. */
export const LoadModelRequestSchema = z.object({
  type: z.literal('load'),
  requestId: RequestId,
  modelDir: z.string().min(1),
  device: WorkerDeviceSchema,
});
export type LoadModelRequest = z.infer<typeof LoadModelRequestSchema>;

export const WorkerChatMessageSchema = z.object({ role: z.enum(['user', 'assistant']), content: z.string() });
export type WorkerChatMessage = z.infer<typeof WorkerChatMessageSchema>;

/**
 * Answers the last message of `messages` (a user message) with the loaded model. The whole
 * conversation is sent every time, so the worker needs no other state to be right; it keeps the
 * KV cache of the last prompt and prefills only what differs from it.
 */
export const GenerateRequestSchema = z.object({
  type: z.literal('generate'),
  requestId: RequestId,
  conversationId: z.string().min(1),
  systemPrompt: z.string().nullable(),
  messages: z.array(WorkerChatMessageSchema).min(1),
  params: ChatParamsSchema,
  /** Fixes the sampling for reproducible runs (tests); random when absent. */
  seed: z.number().int().nonnegative().optional(),
});
export type GenerateRequest = z.infer<typeof GenerateRequestSchema>;

/**
 * A message of an OpenAI-style conversation: system messages anywhere the template takes them;
 * an assistant turn's tool calls, and a tool's answer (role 'tool') with the id of the call it answers.
 */
export const CompletionMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string(),
  tool_calls: z.array(ToolCallSchema).optional(),
  tool_call_id: z.string().optional(),
  name: z.string().optional(),
});

/**
 * What a completion continues: a conversation rendered through the chat template (with the
 * tools offered to the model as the template's `tools` variable), or raw text (tokenized with BOS as HF does).
 */
export const CompletionPromptSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('chat'), messages: z.array(CompletionMessageSchema).min(1), tools: z.array(ToolDefinitionSchema).optional() }),
  z.object({ kind: z.literal('text'), text: z.string() }),
]);
export type CompletionPrompt = z.infer<typeof CompletionPromptSchema>;

/**
 * A request's sampling settings; what it leaves out comes from the model's generation_config.json,
 * then OpenAI's defaults (temperature 1, top_p 1, no top-k, no penalties). Without maxTokens the
 * reply may fill the context.
 */
export const CompletionSamplingSchema = z.object({
  maxTokens: z.number().int().min(1).optional(),
  temperature: z.number().min(0).max(5).optional(),
  topP: z.number().gt(0).max(1).optional(),
  topK: z.number().int().min(0).optional(),
  minP: z.number().min(0).max(1).optional(),
  repetitionPenalty: z.number().gt(0).optional(),
  frequencyPenalty: z.number().min(-2).max(2).optional(),
  presencePenalty: z.number().min(-2).max(2).optional(),
  seed: z.number().int().nonnegative().optional(),
  stop: z.array(z.string()).max(16).optional(),
});
export type CompletionSampling = z.infer<typeof CompletionSamplingSchema>;

/**
 * Generates for an API client (the OpenAI-compatible /v1 server): the prompt is rendered and
 * tokenized as given, the KV of the previous completion's prompt is kept where it shares a
 * prefix. Ends with 'generated' like a chat turn; with `logprobs` set, every token is reported
 * as a 'completion-token' with its log-probability and that many alternatives (else only tokens
 * that complete text).
 */
export const CompleteRequestSchema = z.object({
  type: z.literal('complete'),
  requestId: RequestId,
  prompt: CompletionPromptSchema,
  sampling: CompletionSamplingSchema,
  logprobs: z.number().int().min(0).max(20).nullable(),
  /** OpenAI's response_format as the client sent it: JSON replies enforced while decoding (engine/grammar); absent is free text. */
  responseFormat: ResponseFormatSchema.optional(),
});
export type CompleteRequest = z.infer<typeof CompleteRequestSchema>;

/** Stops the generation with this request id; it still ends with 'generated' (stopReason 'aborted') and the partial text. */
export const AbortRequestSchema = z.object({ type: z.literal('abort'), requestId: RequestId });
export type AbortRequest = z.infer<typeof AbortRequestSchema>;

/**
 * Measures the loaded model's perplexity on `text` (tokenized with its own tokenizer; see
 * engine/runtime/text-perplexity.ts): the quality check of a quantized build against its fp32 one.
 */
export const MeasurePerplexityRequestSchema = z.object({
  type: z.literal('perplexity'),
  requestId: RequestId,
  text: z.string().min(1).max(1_000_000),
});
export type MeasurePerplexityRequest = z.infer<typeof MeasurePerplexityRequestSchema>;

/** Releases the model and exits. */
export const ShutdownRequestSchema = z.object({ type: z.literal('shutdown') });
export type ShutdownRequest = z.infer<typeof ShutdownRequestSchema>;

export const WorkerRequestSchema = z.discriminatedUnion('type', [
  LoadModelRequestSchema,
  GenerateRequestSchema,
  CompleteRequestSchema,
  MeasurePerplexityRequestSchema,
  AbortRequestSchema,
  ShutdownRequestSchema,
]);
export type WorkerRequest = z.infer<typeof WorkerRequestSchema>;

// ---- worker → host ----

/** Sent once the worker listens for requests; the host sends nothing before it. */
export const WorkerReadySchema = z.object({ type: z.literal('ready'), pid: z.number().int() });
export type WorkerReady = z.infer<typeof WorkerReadySchema>;

export const ModelLoadedSchema = z.object({
  type: z.literal('loaded'),
  requestId: RequestId,
  device: WorkerDeviceSchema,
  /** The worker's resident memory right after the load (process.memoryUsage().rss), shown beside the estimate. */
  memoryBytes: z.number().nonnegative(),
  loadMs: z.number().nonnegative(),
});
export type ModelLoaded = z.infer<typeof ModelLoadedSchema>;

/** A piece of the reply: the text one token completes (never empty). */
export const TokenReplySchema = z.object({ type: z.literal('token'), requestId: RequestId, text: z.string().min(1) });
export type TokenReply = z.infer<typeof TokenReplySchema>;

/** A token as OpenAI's logprobs show it: its text (the token alone, decoded), that text's UTF-8 bytes, and its log-probability. */
export const TokenLogprobDataSchema = z.object({ token: z.string(), bytes: z.array(z.number().int().min(0).max(255)), logprob: z.number() });
export const TokenLogprobsDataSchema = TokenLogprobDataSchema.extend({ top: z.array(TokenLogprobDataSchema) });
export type TokenLogprobsData = z.infer<typeof TokenLogprobsDataSchema>;

/** A token of a 'complete' request: the text it completes (may be '' while a character or stop string is unfinished) and, when asked for, its logprobs. */
export const CompletionTokenReplySchema = z.object({
  type: z.literal('completion-token'),
  requestId: RequestId,
  text: z.string(),
  logprobs: TokenLogprobsDataSchema.nullable(),
});
export type CompletionTokenReply = z.infer<typeof CompletionTokenReplySchema>;

export const GenerationStatsSchema = z.object({
  tokens: z.number().int().nonnegative(),
  tokensPerSecond: z.number().nonnegative(),
  /** Null when no token came (an abort during the prompt). */
  ttftMs: z.number().nonnegative().nullable(),
  promptTokens: z.number().int().nonnegative(),
  /** Prompt tokens whose KV came from the cache of the previous turn. */
  reusedTokens: z.number().int().nonnegative(),
  /** What the overflow policy left out of the prompt. */
  dropped: z.object({ turns: z.number().int().nonnegative(), tokens: z.number().int().nonnegative() }),
  stopReason: z.enum(['eos', 'stop-string', 'max-tokens', 'aborted', 'context-full']),
});
export type GenerationStats = z.infer<typeof GenerationStatsSchema>;

/** The generation ended (aborted included): the whole reply text, which may hold a tail no token event carried. */
export const GenerationDoneSchema = z.object({ type: z.literal('generated'), requestId: RequestId, text: z.string(), stats: GenerationStatsSchema });
export type GenerationDone = z.infer<typeof GenerationDoneSchema>;

/** The loaded model's perplexity on the text of a 'perplexity' request. */
export const PerplexityMeasuredSchema = z.object({
  type: z.literal('perplexity-measured'),
  requestId: RequestId,
  perplexity: z.number().positive(),
  /** Mean negative log-likelihood per predicted token, in nats. */
  nll: z.number().nonnegative(),
  /** Tokens predicted. */
  tokens: z.number().int().positive(),
});
export type PerplexityMeasured = z.infer<typeof PerplexityMeasuredSchema>;

/** A request failed; requestId is null when the message could not even be read. */
export const RequestFailedSchema = z.object({ type: z.literal('failed'), requestId: RequestId.nullable(), error: WorkerErrorSchema });
export type RequestFailed = z.infer<typeof RequestFailedSchema>;

export const WorkerReplySchema = z.discriminatedUnion('type', [
  WorkerReadySchema,
  ModelLoadedSchema,
  TokenReplySchema,
  CompletionTokenReplySchema,
  GenerationDoneSchema,
  PerplexityMeasuredSchema,
  RequestFailedSchema,
]);
export type WorkerReply = z.infer<typeof WorkerReplySchema>;

/** The zod issues of a rejected message in one line, for the error that reports it. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(message)'}: ${issue.message}`)
    .join('; ');
}

/** The request id of a message that failed validation, when it has a readable one. */
export function requestIdOf(raw: unknown): string | null {
  const id = (raw as { requestId?: unknown } | null)?.requestId;
  return typeof id === 'string' && id !== '' ? id : null;
}
