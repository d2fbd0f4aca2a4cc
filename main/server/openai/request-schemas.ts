// The request bodies of POST /v1/chat/completions and POST /v1/completions, as OpenAI's API
// reference defines them (ranges included), plus Hearth's sampling extras (top_k, min_p,
// repetition_penalty, as llama.cpp's and vLLM's servers take them). Strict: a parameter that is
// not here gets a 400 naming it, rather than being ignored, so a client never believes a setting
// took effect when it did not. `null` is taken as "not given", as OpenAI does.
import { z } from 'zod';
import { ResponseFormatSchema } from '../../common/contracts/response-format.ts';
import { ToolCallSchema, ToolChoiceSchema, ToolDefinitionSchema } from '../../common/contracts/tool-calls.ts';

/** OpenAI's top_logprobs limit. */
export const MAX_TOP_LOGPROBS = 20;
/** The legacy completions endpoint's logprobs limit. */
export const MAX_COMPLETION_LOGPROBS = 5;

/** A part of a message's content; only text parts (images and audio are not for these models). */
const TextPartSchema = z.strictObject({ type: z.literal('text'), text: z.string() });
const MessageContentSchema = z.union([z.string(), z.array(TextPartSchema)]);

/**
 * 'developer' is what newer OpenAI models call the system role; it is the system message here.
 * An assistant message may carry the tool calls it made (content null), and a 'tool' message
 * answers one of them, naming its id.
 */
const MessageSchema = z.strictObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: MessageContentSchema.nullish(),
  name: z.string().optional(),
  tool_calls: z.array(ToolCallSchema).nullish(),
  tool_call_id: z.string().nullish(),
  /** What an earlier reply refused to do (OpenAI's refusal field); it has no place in the prompt. */
  refusal: z.string().nullish(),
});
export type ApiChatMessage = z.infer<typeof MessageSchema>;

const StopSchema = z.union([z.string(), z.array(z.string()).max(4)]);

/** Parameters both endpoints take. */
const sharedParameters = {
  model: z.string().min(1),
  max_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  stop: StopSchema.nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  n: z.number().int().min(1).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.strictObject({ include_usage: z.boolean().optional(), include_obfuscation: z.boolean().optional() }).nullish(),
  /** OpenAI's end-user tag, store flag and metadata: account features with no meaning on this machine, accepted and ignored. */
  user: z.string().nullish(),
  store: z.boolean().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  // Hearth's extras, as llama.cpp's server and vLLM take them.
  top_k: z.number().int().min(0).nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  repetition_penalty: z.number().gt(0).max(10).nullish(),
  /** Structured output: JSON (any object, or valid against a JSON Schema), enforced while decoding. */
  response_format: ResponseFormatSchema.nullish(),
};

export const ChatCompletionRequestSchema = z.strictObject({
  ...sharedParameters,
  messages: z.array(MessageSchema).min(1),
  max_completion_tokens: z.number().int().min(1).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(MAX_TOP_LOGPROBS).nullish(),
  /** Functions the model may call; the chat template shows them to it. */
  tools: z.array(ToolDefinitionSchema).max(128).nullish(),
  tool_choice: ToolChoiceSchema.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

export const CompletionRequestSchema = z.strictObject({
  ...sharedParameters,
  /** One prompt: a string, or a list holding one string (n and batches of prompts are 1 here). */
  prompt: z.union([z.string(), z.array(z.string()).length(1)]),
  logprobs: z.number().int().min(0).max(MAX_COMPLETION_LOGPROBS).nullish(),
  echo: z.boolean().nullish(),
  best_of: z.number().int().min(1).nullish(),
  suffix: z.string().nullish(),
});
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;

/**
 * OpenAI parameters that are planned but not taken yet: refused naming the feature, so a client
 * relying on one (an agent sending the deprecated `functions`) learns at once instead of getting a plain reply.
 */
export const NOT_YET_SUPPORTED: Readonly<Record<string, string>> = {
  functions: 'function calls (functions)',
  function_call: 'function calls (function_call)',
  logit_bias: 'logit_bias',
};
