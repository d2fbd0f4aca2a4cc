// Errors cross every process boundary as data: a stable code the UI can branch on and a
// message written for the user (what went wrong and what to do).
import { z } from 'zod';

export const ApiErrorCodeSchema = z.enum([
  'invalid-input', // the request failed its schema
  'not-found', // no such model, conversation, message or job
  'model-invalid', // an imported folder is not a usable model (names the file and the fix)
  'model-build-failed',
  'model-load-failed',
  'worker-crashed', // the inference worker died; it restarts by itself
  'busy', // something already runs where only one may (a reply in this conversation, a job)
  'context-overflow', // the conversation does not fit and the policy is 'stop'
  'store', // the database failed (corrupt, locked, too new)
  'needs-token', // a gated or private Hugging Face repo: a token (and, gated, its licence accepted on its page)
  'network', // the Hugging Face Hub could not be reached, or kept failing after the retries
  'internal',
]);
export type ApiErrorCode = z.infer<typeof ApiErrorCodeSchema>;

export const ApiErrorSchema = z.object({ code: ApiErrorCodeSchema, message: z.string() });
export type ApiErrorData = z.infer<typeof ApiErrorSchema>;

/** Thrown by services; transports turn it into ApiErrorData and back. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }

  toData(): ApiErrorData {
    return { code: this.code, message: this.message };
  }
}

/** The envelope every call returns across a boundary. */
export const ApiResultSchema = <T extends z.ZodType>(value: T) =>
  z.discriminatedUnion('ok', [z.object({ ok: z.literal(true), value }), z.object({ ok: z.literal(false), error: ApiErrorSchema })]);
