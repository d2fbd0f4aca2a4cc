// The context meter: how much of the context window the conversation fills. The last reply's
// prompt plus what it generated is exactly what the model held at its end, so that is the
// measure; before any reply there is nothing measured to show.
import type { Message } from '../../../main/common/contracts/chat.ts';

export interface ContextUsage {
  usedTokens: number;
  contextLength: number;
  /** 0..1, capped at 1. */
  fraction: number;
}

export function contextUsage(messages: readonly Message[], contextLength: number): ContextUsage | null {
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const stats = messages[i].role === 'assistant' ? messages[i].stats : null;
    if (!stats) continue;
    const usedTokens = stats.promptTokens + stats.tokens;
    const fraction = contextLength > 0 ? Math.min(1, usedTokens / contextLength) : 1;
    return { usedTokens, contextLength, fraction };
  }
  return null;
}

export function contextUsageText(usage: ContextUsage): string {
  return `${usage.usedTokens} of ${usage.contextLength} tokens of context (${Math.round(usage.fraction * 100)} %)`;
}
