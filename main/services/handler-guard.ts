// Wraps the services' handlers so that each checks its input against the API schema (services
// do not trust their callers, even though the transports check too) and throws only ApiErrors:
// a store failure becomes 'store', anything unexpected 'internal', with its message kept.
import type { z } from 'zod';
import { API, API_METHODS, type ApiHandlers, type ApiMethod } from '../common/contracts/api.ts';
import { ApiError } from '../common/contracts/api-error.ts';
import { StoreError } from '../store/store-error.ts';

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof StoreError) return new ApiError(error.kind === 'not-found' ? 'not-found' : 'store', error.message);
  return new ApiError('internal', error instanceof Error ? error.message : String(error));
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`)
    .join('; ');
}

function guard<M extends ApiMethod>(method: M, handler: ApiHandlers[M]): ApiHandlers[M] {
  const schema = API[method].input;
  const guarded = async (input: unknown) => {
    const parsed = schema.safeParse(input);
    if (!parsed.success) throw new ApiError('invalid-input', `${method}: ${describeIssues(parsed.error)}`);
    try {
      return await (handler as (input: unknown) => Promise<unknown>)(parsed.data);
    } catch (error) {
      throw toApiError(error);
    }
  };
  return guarded as unknown as ApiHandlers[M];
}

export function guardHandlers(handlers: ApiHandlers): ApiHandlers {
  const guarded = {} as Record<ApiMethod, unknown>;
  for (const method of API_METHODS) guarded[method] = guard(method, handlers[method]);
  return guarded as ApiHandlers;
}
