// The JSON objects /v1 answers with, shaped as OpenAI's API reference shows them: a
// chat.completion or text_completion for a whole reply, chat.completion.chunk or
// text_completion chunks for a streamed one, the usage object, and logprobs in each endpoint's
// own layout (chat: content entries with top_logprobs lists; legacy completions: parallel arrays
// and a token → logprob map per position).
import { randomUUID } from 'node:crypto';
import type { ToolCall } from '../../common/contracts/tool-calls.ts';
import type { ApiCompletionResult, ApiFinishReason, TokenLogprobsData } from '../../services/api-completions.ts';

export type Endpoint = 'chat' | 'text';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** The reply's identity, the same in every chunk of a stream. */
export interface ReplyIdentity {
  id: string;
  created: number;
  /** The model id as the request named it. */
  model: string;
}

export function newReplyIdentity(endpoint: Endpoint, model: string): ReplyIdentity {
  return { id: `${endpoint === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID().replaceAll('-', '')}`, created: Math.floor(Date.now() / 1000), model };
}

export function usageOf(result: Pick<ApiCompletionResult, 'promptTokens' | 'completionTokens'>): Usage {
  return { prompt_tokens: result.promptTokens, completion_tokens: result.completionTokens, total_tokens: result.promptTokens + result.completionTokens };
}

/** One token as a chat logprobs.content entry. */
export function chatLogprobEntry(data: TokenLogprobsData) {
  return {
    token: data.token,
    logprob: data.logprob,
    bytes: data.bytes,
    top_logprobs: data.top.map((t) => ({ token: t.token, logprob: t.logprob, bytes: t.bytes })),
  };
}

/** Tokens in the legacy completions layout; `offset` is where the first token's text starts in the reply. */
export function textLogprobs(tokens: readonly TokenLogprobsData[], offset = 0) {
  const textOffset: number[] = [];
  let at = offset;
  for (const token of tokens) {
    textOffset.push(at);
    at += token.token.length;
  }
  return {
    tokens: tokens.map((t) => t.token),
    token_logprobs: tokens.map((t) => t.logprob),
    top_logprobs: tokens.map((t) => Object.fromEntries(t.top.map((alt) => [alt.token, alt.logprob]))),
    text_offset: textOffset,
  };
}

/** Why a chat reply ended: the service's reasons, or 'tool_calls' when the model called tools. */
export type ChatFinishReason = ApiFinishReason | 'tool_calls';

/** A reply's tool calls, with the ids the API gave them. */
export type ReplyToolCall = ToolCall;

/** A new id for a tool call, as OpenAI's look (call_ and 24 characters). */
export function newToolCallId(): string {
  return `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
}

/** `reply`: the message's text and tool calls when the model called tools (else the result's text). */
export function chatCompletion(
  identity: ReplyIdentity,
  result: ApiCompletionResult,
  logprobs: readonly TokenLogprobsData[] | null,
  reply?: { content: string | null; toolCalls: readonly ReplyToolCall[] },
) {
  const calls = reply && reply.toolCalls.length > 0 ? reply.toolCalls : null;
  return {
    ...base(identity, 'chat.completion'),
    choices: [
      {
        index: 0,
        message: { role: 'assistant' as const, content: calls ? reply!.content : result.text, refusal: null, ...(calls ? { tool_calls: calls } : {}) },
        logprobs: logprobs ? { content: logprobs.map(chatLogprobEntry), refusal: null } : null,
        finish_reason: (calls ? 'tool_calls' : result.finishReason) satisfies ChatFinishReason,
      },
    ],
    usage: usageOf(result),
  };
}

export function textCompletion(identity: ReplyIdentity, result: ApiCompletionResult, logprobs: readonly TokenLogprobsData[] | null) {
  return {
    ...base(identity, 'text_completion'),
    choices: [{ index: 0, text: result.text, logprobs: logprobs ? textLogprobs(logprobs) : null, finish_reason: result.finishReason }],
    usage: usageOf(result),
  };
}

/** A streamed piece of the reply: the text one token completes, and its logprobs when asked for. */
export interface StreamPiece {
  text: string;
  logprobs: TokenLogprobsData | null;
  /** Where this piece starts in the reply (legacy completions' text_offset). */
  offset: number;
}

/** A whole tool call in one streamed delta (clients join a call's deltas by its index). */
export interface ToolCallPiece {
  toolCall: ReplyToolCall;
  index: number;
}

export function chatChunk(identity: ReplyIdentity, piece: StreamPiece | ToolCallPiece | 'opening' | { finishReason: ChatFinishReason }, includeUsage: boolean) {
  const choice =
    piece === 'opening'
      ? { index: 0, delta: { role: 'assistant' as const, content: '' }, logprobs: null, finish_reason: null }
      : 'finishReason' in piece
        ? { index: 0, delta: {}, logprobs: null, finish_reason: piece.finishReason }
        : 'toolCall' in piece
          ? { index: 0, delta: { tool_calls: [{ index: piece.index, ...piece.toolCall }] }, logprobs: null, finish_reason: null }
          : { index: 0, delta: { content: piece.text }, logprobs: piece.logprobs ? { content: [chatLogprobEntry(piece.logprobs)], refusal: null } : null, finish_reason: null };
  return { ...base(identity, 'chat.completion.chunk'), choices: [choice], ...(includeUsage ? { usage: null } : {}) };
}

export function textChunk(identity: ReplyIdentity, piece: StreamPiece | { finishReason: ApiFinishReason }, includeUsage: boolean) {
  const choice =
    'finishReason' in piece
      ? { index: 0, text: '', logprobs: null, finish_reason: piece.finishReason }
      : { index: 0, text: piece.text, logprobs: piece.logprobs ? textLogprobs([piece.logprobs], piece.offset) : null, finish_reason: null };
  return { ...base(identity, 'text_completion'), choices: [choice], ...(includeUsage ? { usage: null } : {}) };
}

/** The last chunk when stream_options.include_usage is set: no choices, the usage. */
export function usageChunk(identity: ReplyIdentity, endpoint: Endpoint, result: ApiCompletionResult) {
  return { ...base(identity, endpoint === 'chat' ? 'chat.completion.chunk' : 'text_completion'), choices: [], usage: usageOf(result) };
}

function base(identity: ReplyIdentity, object: string) {
  return { id: identity.id, object, created: identity.created, model: identity.model, system_fingerprint: null };
}
