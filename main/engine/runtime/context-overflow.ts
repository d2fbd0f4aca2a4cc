// Fitting a conversation into the context: what to drop when the rendered prompt plus the room
// reserved for the reply is longer than the context. Whatever is dropped is reported, never
// silent.
import type { ChatMessage } from '../tokenizer/chat-template.ts';

export type OverflowPolicy = 'stop' | 'truncate-middle' | 'rolling-window';
export const OVERFLOW_POLICIES: readonly OverflowPolicy[] = ['stop', 'truncate-middle', 'rolling-window'];

/** The conversation cannot fit the context under the chosen policy. */
export class ContextOverflowError extends Error {
  override name = 'ContextOverflowError';
}

export interface FittedPrompt {
  ids: number[];
  /** Earlier exchanges (a user message and the replies after it) left out of the prompt. */
  droppedTurns: number;
  /** Prompt tokens left out: the full conversation's length minus this prompt's. */
  droppedTokens: number;
  /** Index of the first exchange still in the prompt (truncate-middle keeps dropping from here on). */
  firstKeptTurn: number;
}

export interface FitRequest {
  policy: OverflowPolicy;
  /** Earlier exchanges, oldest first; the last one ends with the new user message. */
  turns: readonly (readonly ChatMessage[])[];
  /** Exchanges before this index are already dropped (truncate-middle never brings them back). */
  firstKeptTurn: number;
  /** Token ids of the prompt for system prompt + the given exchanges, with the generation prompt. */
  render: (turns: readonly (readonly ChatMessage[])[]) => number[];
  /** Token ids of the system prompt alone (empty when there is none). */
  systemIds: number[];
  contextLength: number;
  /** Tokens reserved for the reply. */
  reserve: number;
}

export function fitConversation(request: FitRequest): FittedPrompt {
  const { policy, turns, render, contextLength, reserve } = request;
  const budget = contextLength - reserve;
  const full = render(turns);
  const tooLong = (length: number) =>
    `The conversation needs ${length} tokens plus ${reserve} reserved for the reply, but the context holds ${contextLength} tokens`;
  if (full.length <= budget && request.firstKeptTurn === 0) return { ids: full, droppedTurns: 0, droppedTokens: 0, firstKeptTurn: 0 };

  if (policy === 'stop') {
    throw new ContextOverflowError(`${tooLong(full.length)}. Start a new chat, shorten the message, lower the reply length, or choose a policy that drops old turns.`);
  }
  if (policy === 'truncate-middle') {
    // The newest exchange (the new user message) is always kept; drop from the oldest kept on.
    for (let first = request.firstKeptTurn; first < turns.length; first++) {
      const ids = render(turns.slice(first));
      if (ids.length <= budget) return { ids, droppedTurns: first, droppedTokens: full.length - ids.length, firstKeptTurn: first };
    }
    const alone = render(turns.slice(-1)).length;
    throw new ContextOverflowError(`${tooLong(alone)} even with only the system prompt and the new message. Shorten the message or the system prompt, or lower the reply length.`);
  }
  // rolling-window: the system prompt, then the most recent tokens that fit.
  const { systemIds } = request;
  const keep = budget - systemIds.length;
  if (keep < 1) {
    throw new ContextOverflowError(`The system prompt takes ${systemIds.length} tokens and ${reserve} are reserved for the reply, which leaves no room in the ${contextLength}-token context.`);
  }
  if (full.length <= budget) return { ids: full, droppedTurns: 0, droppedTokens: 0, firstKeptTurn: 0 };
  const rest = full.slice(systemIds.length);
  const droppedTokens = rest.length - keep;
  const ids = [...systemIds, ...rest.slice(droppedTokens)];
  return { ids, droppedTurns: wholeTurnsWithin(request, systemIds.length + droppedTokens), droppedTokens, firstKeptTurn: 0 };
}

/** How many leading exchanges lie entirely in the first `cut` tokens of the full prompt. */
function wholeTurnsWithin(request: FitRequest, cut: number): number {
  let whole = 0;
  for (let count = 1; count < request.turns.length; count++) {
    // Rendered without the following turns, an exchange prefix ends with a generation prompt
    // that the full prompt does not hold there; it is short, so the count is at worst one low.
    if (request.render(request.turns.slice(0, count)).length > cut) break;
    whole = count;
  }
  return whole;
}
