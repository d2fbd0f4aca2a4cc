// The pieces of a chat turn (ChatSession, which the CLI's chat and the app's worker both run):
// how messages group into exchanges for the overflow policy, how much of a new prompt the KV
// cache already holds, and which tokens end a reply.
import type { ChatMessage } from '../tokenizer/chat-template.ts';

/** Splits messages into exchanges: each starts at a user message and holds the replies after it. */
export function groupIntoTurns(messages: readonly ChatMessage[]): ChatMessage[][] {
  const turns: ChatMessage[][] = [];
  for (const message of messages) {
    if (message.role === 'user' || turns.length === 0) turns.push([message]);
    else turns[turns.length - 1].push(message);
  }
  return turns;
}

/** How many leading tokens two prompts share: the part of a cached prompt that can be kept. */
export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const max = Math.min(a.length, b.length);
  let i = 0;
  while (i < max && a[i] === b[i]) i++;
  return i;
}

/**
 * Chat templates end a turn with the tokenizer's EOS (e.g. <|im_end|>) or a token of their own
 * (<|eot_id|>, <end_of_turn>: see templateEndOfTurnTokenId), which generation_config may not list.
 */
export function replyStopTokenIds(modelEos: readonly number[], tokenizerEos: number | null, endOfTurn: number | null = null): number[] {
  const ids = [...modelEos];
  for (const id of [tokenizerEos, endOfTurn]) if (id !== null && !ids.includes(id)) ids.push(id);
  return ids;
}
