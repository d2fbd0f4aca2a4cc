// The typed face of the bridge. Every answer is checked against the method's output schema and
// every event against ApiEventSchema, because the renderer trusts nothing that crosses a process
// boundary. A failed call becomes a thrown ApiError whose message is written for the user.
import { z } from 'zod';
import { API } from '../../../main/common/contracts/api.ts';
import type { ApiInput, ApiMethod, ApiOutput } from '../../../main/common/contracts/api.ts';
import { ApiError, ApiResultSchema } from '../../../main/common/contracts/api-error.ts';
import { ApiEventSchema } from '../../../main/common/contracts/events.ts';
import type { ApiEvent } from '../../../main/common/contracts/events.ts';
import { PickPathResultSchema, type PickPathRequest } from '../../../main/common/contracts/path-picker.ts';
import type { HearthBridge } from '../bridge/hearth-bridge.ts';

/** Where the client reports what it had to drop; console.warn in the app, a recorder in tests. */
export type ClientLog = (message: string, detail?: unknown) => void;

export class ApiClient {
  constructor(
    private readonly bridge: HearthBridge,
    private readonly log: ClientLog = (message, detail) => console.warn(message, detail),
  ) {}

  async call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutput<M>> {
    const spec = API[method];
    const checkedInput = spec.input.safeParse(input);
    if (!checkedInput.success) {
      throw new ApiError('invalid-input', `${method}: ${z.prettifyError(checkedInput.error)}`);
    }
    let envelope: unknown;
    try {
      envelope = await this.bridge.call(method, input);
    } catch (error) {
      throw new ApiError('internal', `Could not reach Hearth for ${method}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const result = ApiResultSchema(spec.output).safeParse(envelope);
    if (!result.success) {
      this.log(`Hearth: the answer to ${method} did not match its contract`, envelope);
      throw new ApiError('internal', `Hearth gave an answer to ${method} that this window does not understand: ${z.prettifyError(result.error)}`);
    }
    if (!result.data.ok) throw new ApiError(result.data.error.code, result.data.error.message);
    return result.data.value as ApiOutput<M>;
  }

  /** Whether this window can open the system's file and folder dialog (the desktop app), or must ask for a typed path. */
  get canPickPaths(): boolean {
    return typeof this.bridge.pickPath === 'function';
  }

  /** The path the user chose in the system's dialog, or null when they cancelled. */
  async pickPath(request: PickPathRequest): Promise<string | null> {
    if (!this.bridge.pickPath) throw new ApiError('internal', 'This window has no file picker; type the path instead.');
    let envelope: unknown;
    try {
      envelope = await this.bridge.pickPath(request);
    } catch (error) {
      throw new ApiError('internal', `Could not open the file picker: ${error instanceof Error ? error.message : String(error)}`);
    }
    const result = ApiResultSchema(PickPathResultSchema).safeParse(envelope);
    if (!result.success) {
      this.log('Hearth: the file picker gave an answer that does not match its contract', envelope);
      throw new ApiError('internal', `The file picker gave an answer that this window does not understand: ${z.prettifyError(result.error)}`);
    }
    if (!result.data.ok) throw new ApiError(result.data.error.code, result.data.error.message);
    return result.data.value.path;
  }

  /** Listens to validated events; invalid ones are logged and dropped. Returns the unsubscribe function. */
  onEvent(listener: (event: ApiEvent) => void): () => void {
    return this.bridge.subscribe((raw) => {
      const event = ApiEventSchema.safeParse(raw);
      if (!event.success) {
        this.log('Hearth: dropped an event that does not match the contract', raw);
        return;
      }
      listener(event.data);
    });
  }
}

/** The message to show for anything a call threw. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
