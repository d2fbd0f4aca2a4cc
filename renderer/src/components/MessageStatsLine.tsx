// Under a reply: how fast it came and where it ran.
import type { MessageStats } from '../../../main/common/contracts/chat.ts';

export function MessageStatsLine({ stats }: { stats: MessageStats }) {
  return (
    <p className="message-stats">
      {stats.tokens} tokens · {stats.tokensPerSecond.toFixed(1)} tokens/s · first token after {Math.round(stats.ttftMs)} ms · on the{' '}
      {stats.device === 'gpu' ? 'GPU' : 'CPU'}
      {stats.reusedTokens > 0 ? ` · ${stats.reusedTokens} prompt tokens reused from the cache` : ''}
    </p>
  );
}
