// A validated /v1 request turned into what the services generate from: the prompt (a
// conversation, or raw text), the sampling settings the request gives (the rest comes from the
// model's generation_config, then OpenAI's defaults, in the worker), and the logprobs asked for.
// Parameters the schema takes but whose values Hearth cannot honour yet (n > 1, echo, best_of,
// suffix) are refused here, naming them.
import type { ResponseFormat } from '../../common/contracts/response-format.ts';
import type { ToolDefinition } from '../../common/contracts/tool-calls.ts';
import type { ApiCompletionRequest, CompletionSampling } from '../../services/api-completions.ts';
import { invalidParameter } from './openai-error.ts';
import type { ApiChatMessage, ChatCompletionRequest, CompletionRequest } from './request-schemas.ts';

type SharedRequest = ChatCompletionRequest | CompletionRequest;

export function chatCompletionInput(request: ChatCompletionRequest): ApiCompletionRequest {
  checkShared(request);
  if (request.top_logprobs != null && request.logprobs !== true) {
    throw invalidParameter('top_logprobs', "Invalid value for 'top_logprobs': it needs 'logprobs' set to true.");
  }
  const tools = offeredTools(request);
  return {
    model: request.model,
    prompt: { kind: 'chat', messages: request.messages.map(promptMessage), ...(tools.length > 0 ? { tools } : {}) },
    sampling: samplingOf(request, request.max_completion_tokens ?? request.max_tokens),
    logprobs: request.logprobs === true ? (request.top_logprobs ?? 0) : null,
    ...(forcesCall(request) ? { responseFormat: forcedCallFormat(tools) } : responseFormatOf(request)),
  };
}

/** tool_choice 'required' or a named function: the reply must be a call. */
function forcesCall(request: ChatCompletionRequest): boolean {
  return request.tool_choice === 'required' || (request.tool_choice != null && typeof request.tool_choice === 'object');
}

/**
 * A call the grammar enforces while decoding, as vLLM forces one: the reply is one JSON object
 * {"name": one of the tools' names, "arguments": valid against that tool's parameters}, which the
 * route reads as a call whatever the template's own format. It takes the place of response_format,
 * which shapes a text reply that a forced call does not write.
 */
function forcedCallFormat(tools: readonly ToolDefinition[]): ResponseFormat {
  const callOf = (tool: ToolDefinition) => ({
    type: 'object',
    properties: { name: { const: tool.function.name }, arguments: tool.function.parameters ?? { type: 'object', properties: {} } },
    required: ['name', 'arguments'],
    additionalProperties: false,
  });
  const schema = tools.length === 1 ? callOf(tools[0]) : { anyOf: tools.map(callOf) };
  return { type: 'json_schema', json_schema: { name: 'tool_call', schema } };
}

/** The legacy endpoint's default length: OpenAI's 16 tokens. */
export const DEFAULT_COMPLETION_MAX_TOKENS = 16;

export function completionInput(request: CompletionRequest): ApiCompletionRequest {
  checkShared(request);
  if (request.echo === true) throw invalidParameter('echo', "Hearth's local server does not support 'echo' yet; leave it out or set it to false.", 'unsupported_parameter');
  if (request.best_of != null && request.best_of !== 1) throw invalidParameter('best_of', "Invalid value for 'best_of': only 1 is supported.");
  if (request.suffix) throw invalidParameter('suffix', "Hearth's local server does not support 'suffix' (fill-in-the-middle) yet; leave it out.", 'unsupported_parameter');
  return {
    model: request.model,
    prompt: { kind: 'text', text: typeof request.prompt === 'string' ? request.prompt : request.prompt[0] },
    sampling: samplingOf(request, request.max_tokens ?? DEFAULT_COMPLETION_MAX_TOKENS),
    logprobs: request.logprobs ?? null,
    ...responseFormatOf(request),
  };
}

/** response_format as the worker takes it; left out when not given (free text). */
function responseFormatOf(request: SharedRequest): Pick<ApiCompletionRequest, 'responseFormat'> {
  return request.response_format != null ? { responseFormat: request.response_format } : {};
}

function checkShared(request: SharedRequest): void {
  if (request.stream_options != null && request.stream !== true) {
    throw invalidParameter('stream_options', "Invalid value for 'stream_options': it is only allowed when 'stream' is true.");
  }
  if (request.n != null && request.n !== 1) {
    throw invalidParameter('n', `Invalid value for 'n': Hearth's local server writes one choice per request (n = 1), not ${request.n}; send ${request.n} requests instead.`);
  }
}

/**
 * The tools the template shows the model: none for tool_choice 'none', only the named one for a
 * named function, else all. The route reads the calls out of the reply exactly when there are some.
 */
function offeredTools(request: ChatCompletionRequest): ToolDefinition[] {
  const tools = request.tools ?? [];
  const choice = request.tool_choice;
  if (choice != null && tools.length === 0 && choice !== 'none') {
    throw invalidParameter('tool_choice', "Invalid value for 'tool_choice': it is only allowed when 'tools' are given.");
  }
  if (choice === 'none') return [];
  if (choice != null && typeof choice === 'object') {
    const named = tools.find((tool) => tool.function.name === choice.function.name);
    if (!named) throw invalidParameter('tool_choice', `Invalid value for 'tool_choice': no function named '${choice.function.name}' is among the 'tools'.`);
    return [named];
  }
  return tools;
}

type PromptMessage = Extract<ApiCompletionRequest['prompt'], { kind: 'chat' }>['messages'][number];

/**
 * OpenAI's content parts joined as vLLM joins them; 'developer' is the system role; an
 * assistant's tool calls and a tool answer's call id go to the template as they are.
 */
function promptMessage(message: ApiChatMessage, index: number): PromptMessage {
  const content = message.content == null ? '' : typeof message.content === 'string' ? message.content : message.content.map((part) => part.text).join('\n');
  const role = message.role === 'developer' ? 'system' : message.role;
  if (role === 'tool') {
    if (message.tool_call_id == null) throw invalidParameter(`messages[${index}].tool_call_id`, `Missing required parameter: 'messages[${index}].tool_call_id' (a tool message answers the call with that id).`, 'missing_required_parameter');
    return { role, content, tool_call_id: message.tool_call_id };
  }
  if (message.tool_calls != null && message.tool_calls.length > 0) {
    if (role !== 'assistant') throw invalidParameter(`messages[${index}].tool_calls`, `Invalid value for 'messages[${index}].tool_calls': only assistant messages carry tool calls.`);
    return { role, content, tool_calls: message.tool_calls };
  }
  return { role, content };
}

function samplingOf(request: SharedRequest, maxTokens: number | null | undefined): CompletionSampling {
  const sampling: CompletionSampling = {};
  if (maxTokens != null) sampling.maxTokens = maxTokens;
  if (request.temperature != null) sampling.temperature = request.temperature;
  // top_p 0 keeps only the most likely token: greedy (the sampler's top-p needs a positive mass).
  if (request.top_p === 0) sampling.temperature = 0;
  else if (request.top_p != null) sampling.topP = request.top_p;
  if (request.top_k != null) sampling.topK = request.top_k;
  if (request.min_p != null) sampling.minP = request.min_p;
  if (request.repetition_penalty != null) sampling.repetitionPenalty = request.repetition_penalty;
  if (request.frequency_penalty != null) sampling.frequencyPenalty = request.frequency_penalty;
  if (request.presence_penalty != null) sampling.presencePenalty = request.presence_penalty;
  // OpenAI takes any integer; the sampler's generator is seeded with 32 bits.
  if (request.seed != null) sampling.seed = ((request.seed % 2 ** 32) + 2 ** 32) % 2 ** 32;
  if (request.stop != null) sampling.stop = typeof request.stop === 'string' ? [request.stop] : request.stop;
  return sampling;
}
