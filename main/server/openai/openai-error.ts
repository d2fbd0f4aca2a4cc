// Errors as OpenAI's API sends them, so that clients (the openai npm and Python packages, LangChain,
// editors) show the message and branch on the status: a JSON body
// {"error": {"message", "type", "param", "code"}} with 400 for a bad request (param names the
// parameter), 401 for a missing or wrong key, 404 for an unknown model or path, 500 otherwise.
import type { ServerResponse } from 'node:http';
import { ApiError, type ApiErrorCode } from '../../common/contracts/api-error.ts';

export type OpenAiErrorType = 'invalid_request_error' | 'authentication_error' | 'not_found_error' | 'permission_error' | 'server_error';

export interface OpenAiErrorBody {
  error: { message: string; type: OpenAiErrorType; param: string | null; code: string | null };
}

/** A request the API refuses, with the status and body to answer it with. */
export class OpenAiError extends Error {
  override name = 'OpenAiError';
  readonly status: number;
  readonly type: OpenAiErrorType;
  readonly param: string | null;
  readonly code: string | null;

  constructor(status: number, message: string, options: { type?: OpenAiErrorType; param?: string | null; code?: string | null } = {}) {
    super(message);
    this.status = status;
    this.type = options.type ?? (status === 401 ? 'authentication_error' : status === 404 ? 'not_found_error' : status >= 500 ? 'server_error' : 'invalid_request_error');
    this.param = options.param ?? null;
    this.code = options.code ?? null;
  }

  get body(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400 for a parameter the API does not take or cannot read, naming it. */
export function invalidParameter(param: string, message: string, code = 'invalid_value'): OpenAiError {
  return new OpenAiError(400, message, { param, code });
}

/** How a service's ApiError reaches an API client. */
const STATUS_OF: Partial<Record<ApiErrorCode, { status: number; code: string | null }>> = {
  'invalid-input': { status: 400, code: null },
  'context-overflow': { status: 400, code: 'context_length_exceeded' },
  'not-found': { status: 404, code: 'model_not_found' },
  busy: { status: 429, code: 'busy' },
};

export function toOpenAiError(error: unknown): OpenAiError {
  if (error instanceof OpenAiError) return error;
  if (error instanceof ApiError) {
    const known = STATUS_OF[error.code];
    return new OpenAiError(known?.status ?? 500, error.message, { code: known?.code ?? error.code, param: paramOf(error) });
  }
  return new OpenAiError(500, 'internal error; the server log has the details', { code: 'internal' });
}

/**
 * The parameter a service's refusal is about: the model for 'not-found'; response_format for an
 * invalid-input from the grammar compiler (engine/grammar's ResponseFormatError, whose messages
 * all say "structured output"), so a client sees which part of its request to fix.
 */
function paramOf(error: ApiError): string | null {
  if (error.code === 'not-found') return 'model';
  if (error.code === 'invalid-input' && /structured output/i.test(error.message)) return 'response_format';
  return null;
}

export function sendOpenAiError(response: ServerResponse, error: OpenAiError, headers: Record<string, string> = {}): void {
  response.writeHead(error.status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  response.end(JSON.stringify(error.body));
}
