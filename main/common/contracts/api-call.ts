// One API call as every transport answers it (Electron IPC, the web shell's HTTP): the method
// name and input are checked against the contract before any service runs, the output is
// checked before it goes back, and failures travel as data in the envelope. Never throws.
import type { z } from 'zod';
import { API, isApiMethod, type ApiHandlers } from './api.ts';
import { ApiError, type ApiErrorCode, type ApiErrorData } from './api-error.ts';

export type ApiEnvelope = { ok: true; value: unknown } | { ok: false; error: ApiErrorData };

/** Where internal failures are reported: their details stay on the main side, never in the UI. */
export type ApiCallLog = (message: string) => void;

export async function answerApiCall(handlers: ApiHandlers, method: unknown, input: unknown, log: ApiCallLog = () => {}): Promise<ApiEnvelope> {
  if (typeof method !== 'string' || !isApiMethod(method)) {
    return failure('not-found', `there is no API method ${JSON.stringify(method)}`);
  }
  const contract = API[method];
  const parsedInput = contract.input.safeParse(input ?? {});
  if (!parsedInput.success) return failure('invalid-input', `invalid input for ${method}: ${describeIssues(parsedInput.error)}`);

  let output: unknown;
  try {
    output = await (handlers[method] as (input: unknown) => Promise<unknown>)(parsedInput.data);
  } catch (error) {
    if (error instanceof ApiError) return { ok: false, error: error.toData() };
    log(`${method} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return failure('internal', `${method} failed with an internal error; the log has the details`);
  }

  const parsedOutput = contract.output.safeParse(output);
  if (!parsedOutput.success) {
    log(`${method} returned data that does not match its schema: ${describeIssues(parsedOutput.error)}`);
    return failure('internal', `${method} returned malformed data (an internal error); the log has the details`);
  }
  return { ok: true, value: parsedOutput.data };
}

/** "text: Too small: expected string to have >=1 characters; conversationId: ..." */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(the input)'}: ${issue.message}`).join('; ');
}

function failure(code: ApiErrorCode, message: string): ApiEnvelope {
  return { ok: false, error: { code, message } };
}
