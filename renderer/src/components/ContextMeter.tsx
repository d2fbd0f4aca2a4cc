// How full the context window is, measured by the last reply.
import type { Message } from '../../../main/common/contracts/chat.ts';
import { contextUsage, contextUsageText } from '../format/context-meter.ts';

export function ContextMeter({ messages, contextLength }: { messages: readonly Message[]; contextLength: number }) {
  const usage = contextUsage(messages, contextLength);
  if (!usage) return <span className="context-meter muted">Context: {contextLength} tokens</span>;
  return (
    <span className="context-meter">
      <meter aria-label="Context used" min={0} max={usage.contextLength} value={usage.usedTokens} low={usage.contextLength * 0.75} high={usage.contextLength * 0.9} optimum={0} />
      <span>{contextUsageText(usage)}</span>
    </span>
  );
}
