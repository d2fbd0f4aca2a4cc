// The OpenAI-compatible API under /v1, on the web shell's server: GET /v1/models (and
// /v1/models/ID), POST /v1/chat/completions and POST /v1/completions, streamed or not. Access is
// checked first (api-access.ts); each body is checked against its zod schema where it is
// received, and every refusal is OpenAI's error shape (openai-error.ts). The services do the
// rest (model resolution, building and loading, the queue, generation).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiCallLog } from '../../common/contracts/api-call.ts';
import type { ApiCompletionRequest, ApiCompletions, TokenLogprobsData } from '../../services/api-completions.ts';
import { MAX_BODY_BYTES, readBody } from '../api-route.ts';
import { checkApiAccess } from './api-access.ts';
import { chatCompletionInput, completionInput } from './completion-request.ts';
import {
  chatChunk,
  chatCompletion,
  newReplyIdentity,
  newToolCallId,
  textChunk,
  textCompletion,
  usageChunk,
  type ChatFinishReason,
  type Endpoint,
  type ReplyToolCall,
} from './completion-responses.ts';
import { BuildCommentThrottle } from './build-progress-comment.ts';
import { CompletionStream } from './completion-stream.ts';
import { OpenAiError, sendOpenAiError, toOpenAiError } from './openai-error.ts';
import { parseRequestBody } from './parameter-errors.ts';
import { ChatCompletionRequestSchema, CompletionRequestSchema } from './request-schemas.ts';
import { parseToolCalls, ToolCallStream, type ToolCallOutput } from './tool-call-output.ts';

/** What /v1 needs from the app: the completions service and the local server's settings. */
export interface OpenAiEndpoint {
  completions: Pick<ApiCompletions, 'listModels' | 'checkModel' | 'complete'>;
  apiKey(): string;
  corsOrigins(): string[];
}

export const OPENAI_PATH_PREFIX = '/v1';

export function isOpenAiPath(path: string): boolean {
  return path === OPENAI_PATH_PREFIX || path.startsWith(`${OPENAI_PATH_PREFIX}/`);
}

export async function handleOpenAiRequest(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  endpoint: OpenAiEndpoint,
  port: number,
  log: ApiCallLog,
  networkHosts: readonly string[] = [],
): Promise<void> {
  const access = checkApiAccess(request, { port, apiKey: endpoint.apiKey(), corsOrigins: endpoint.corsOrigins(), networkHosts });
  if (access.kind === 'deny') return sendOpenAiError(response, access.error, access.headers);
  if (access.kind === 'preflight') {
    response.writeHead(204, access.headers);
    return void response.end();
  }
  const headers = access.headers;
  try {
    const route = path.slice(OPENAI_PATH_PREFIX.length);
    if (route === '/models') {
      requireMethod(request, 'GET');
      return sendJson(response, { object: 'list', data: endpoint.completions.listModels().map(modelObject) }, headers);
    }
    if (route.startsWith('/models/')) {
      requireMethod(request, 'GET');
      const id = decodeURIComponent(route.slice('/models/'.length));
      const entry = endpoint.completions.listModels().find((m) => m.id === id);
      if (!entry) throw new OpenAiError(404, `The model '${id}' does not exist; GET /v1/models lists the ids.`, { param: 'model', code: 'model_not_found' });
      return sendJson(response, modelObject(entry), headers);
    }
    if (route === '/chat/completions' || route === '/completions') {
      requireMethod(request, 'POST');
      const endpointKind: Endpoint = route === '/chat/completions' ? 'chat' : 'text';
      const body = await readJsonBody(request);
      const { input, options } = endpointKind === 'chat' ? readChatRequest(body) : readTextRequest(body);
      endpoint.completions.checkModel(input.model);
      return await answerCompletion(response, endpoint, endpointKind, input, options, headers, log);
    }
    throw new OpenAiError(404, `There is no ${request.method} ${path} in Hearth's OpenAI-compatible API (it has GET /v1/models, POST /v1/chat/completions and POST /v1/completions).`, {
      code: 'unknown_url',
    });
  } catch (error) {
    const failure = toOpenAiError(error);
    if (failure.status >= 500) log(`${request.method} ${path} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    if (!response.headersSent) sendOpenAiError(response, failure, headers);
    else response.destroy();
  }
}

async function answerCompletion(
  response: ServerResponse,
  endpoint: OpenAiEndpoint,
  kind: Endpoint,
  input: ApiCompletionRequest,
  options: StreamOptions,
  headers: Record<string, string>,
  log: ApiCallLog,
): Promise<void> {
  const identity = newReplyIdentity(kind, input.model);
  // A client that hangs up stops the generation (or its wait in the queue).
  const controller = new AbortController();
  response.on('close', () => {
    if (!response.writableFinished) controller.abort();
  });

  if (!options.stream) {
    const logprobs: TokenLogprobsData[] = [];
    const result = await endpoint.completions.complete(input, (_text, tokenLogprobs) => tokenLogprobs && logprobs.push(tokenLogprobs), controller.signal);
    const kept = input.logprobs === null ? null : logprobs;
    if (kind === 'text') return sendJson(response, textCompletion(identity, result, kept), headers);
    const reply = options.toolCalls ? replyWithToolCalls(parseToolCalls(result.text), options.toolCalls) : undefined;
    return sendJson(response, chatCompletion(identity, result, kept, reply), headers);
  }

  const stream = new CompletionStream(response, headers);
  const buildComments = new BuildCommentThrottle();
  if (kind === 'chat') stream.send(chatChunk(identity, 'opening', options.includeUsage));
  // With tools offered, what may be a call is held back until the reply ends, then sent as tool_calls.
  const toolStream = kind === 'chat' && options.toolCalls ? new ToolCallStream() : null;
  let offset = 0;
  const sendText = (text: string, logprobs: TokenLogprobsData | null) => {
    const piece = { text, logprobs, offset };
    offset += text.length;
    stream.send(kind === 'chat' ? chatChunk(identity, piece, options.includeUsage) : textChunk(identity, piece, options.includeUsage));
  };
  try {
    const result = await endpoint.completions.complete(
      input,
      (text, logprobs) => {
        if (!toolStream) return sendText(text, logprobs);
        const shown = toolStream.push(text);
        // A token's logprobs go with it only when its text is sent whole, at once.
        if (shown !== '') sendText(shown, shown === text ? logprobs : null);
      },
      controller.signal,
      (progress) => {
        const comment = buildComments.next(progress);
        if (comment !== null) stream.comment(comment);
      },
    );
    let finishReason: ChatFinishReason = result.finishReason;
    if (toolStream && options.toolCalls) {
      const { content, calls } = toolStream.finish();
      if (content !== '') sendText(content, null);
      const reply = replyWithToolCalls({ content: null, calls }, options.toolCalls);
      reply.toolCalls.forEach((toolCall, index) => stream.send(chatChunk(identity, { index, toolCall }, options.includeUsage)));
      if (reply.toolCalls.length > 0) finishReason = 'tool_calls';
    }
    const finish = { finishReason };
    stream.send(kind === 'chat' ? chatChunk(identity, finish, options.includeUsage) : textChunk(identity, { finishReason: result.finishReason }, options.includeUsage));
    if (options.includeUsage) stream.send(usageChunk(identity, kind, result));
    stream.end(true);
  } catch (error) {
    const failure = toOpenAiError(error);
    if (failure.status >= 500) log(`a streamed ${kind} completion failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    stream.send(failure.body);
    stream.end(false);
  }
}

interface StreamOptions {
  stream: boolean;
  includeUsage: boolean;
  /** Set when the model was offered tools: its calls are read out of the reply. */
  toolCalls?: ToolCallOptions;
}

interface ToolCallOptions {
  /** parallel_tool_calls: false keeps only the first call. */
  parallel: boolean;
}

function readChatRequest(body: unknown): { input: ApiCompletionRequest; options: StreamOptions } {
  const request = parseRequestBody(ChatCompletionRequestSchema, body);
  const input = chatCompletionInput(request);
  const offered = input.prompt.kind === 'chat' && input.prompt.tools !== undefined;
  return { input, options: { ...streamOptionsOf(request), ...(offered ? { toolCalls: { parallel: request.parallel_tool_calls !== false } } : {}) } };
}

/** The parsed calls with their new ids, as many as parallel_tool_calls allows. */
function replyWithToolCalls(output: ToolCallOutput, options: ToolCallOptions): { content: string | null; toolCalls: ReplyToolCall[] } {
  const calls = options.parallel ? output.calls : output.calls.slice(0, 1);
  return { content: output.content, toolCalls: calls.map((call) => ({ id: newToolCallId(), type: 'function', function: call })) };
}

function readTextRequest(body: unknown): { input: ApiCompletionRequest; options: StreamOptions } {
  const request = parseRequestBody(CompletionRequestSchema, body);
  return { input: completionInput(request), options: streamOptionsOf(request) };
}

function streamOptionsOf(request: { stream?: boolean | null; stream_options?: { include_usage?: boolean } | null }): StreamOptions {
  return { stream: request.stream === true, includeUsage: request.stream === true && request.stream_options?.include_usage === true };
}

function modelObject(entry: { id: string; created: number }) {
  return { id: entry.id, object: 'model', created: entry.created, owned_by: 'hearth' };
}

function requireMethod(request: IncomingMessage, method: 'GET' | 'POST'): void {
  if (request.method !== method) throw new OpenAiError(405, `Use ${method} here, not ${request.method}.`, { code: 'method_not_allowed' });
}

async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const contentType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (contentType !== 'application/json') {
    throw new OpenAiError(415, `Send the request body as JSON with 'Content-Type: application/json', not '${contentType}'.`, { code: 'unsupported_media_type' });
  }
  const body = await readBody(request, MAX_BODY_BYTES);
  if (body === 'too-large') throw new OpenAiError(413, `The request body is larger than the ${MAX_BODY_BYTES / 1024 / 1024} MiB limit.`, { code: 'request_too_large' });
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new OpenAiError(400, `We could not parse the JSON body of your request: ${(error as Error).message}.`, { code: 'invalid_json' });
  }
}

function sendJson(response: ServerResponse, body: object, headers: Record<string, string>): void {
  response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  response.end(JSON.stringify(body));
}
