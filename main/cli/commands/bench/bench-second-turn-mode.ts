// `hearth bench --second-turn`: the first token of a second chat turn with the first turn's KV
// cache reused, against feeding the whole conversation into a fresh cache.
import { startContentionMeter } from '../../../engine/bench/cpu-contention.ts';
import { runSecondTurnBenchmark } from '../../../engine/bench/second-turn-benchmark.ts';
import type { KvCacheKind } from '../../../engine/runtime/kv-cache.ts';
import { contentionLine, fixed, peakRssMb as measurePeakRssMb, round } from './bench-figures.ts';
import type { OpenedBenchModel } from './opened-bench-model.ts';

/** The keys every --second-turn JSON line starts with, in this order. */
export const SECOND_TURN_JSON_KEYS = ['ttft_reuse_ms', 'ttft_cold_ms', 'peak_rss_mb', 'weight_bytes'] as const;

export interface SecondTurnBenchOptions {
  /** The first turn's prompt. */
  promptTokens: number;
  /** The first turn's reply. */
  genTokens: number;
  secondTurnTokens: number;
  cache: KvCacheKind | undefined;
  seed: number;
  json: boolean;
}

export async function runSecondTurnBench(opened: OpenedBenchModel, options: SecondTurnBenchOptions): Promise<number> {
  const { promptTokens, genTokens, secondTurnTokens } = options;
  const meter = startContentionMeter();
  const result = await runSecondTurnBenchmark(opened.model, { firstTurnTokens: promptTokens, replyTokens: genTokens, secondTurnTokens, cache: options.cache, seed: options.seed });
  const otherCpuPct = meter.stop();
  const peakRssMb = measurePeakRssMb();
  const json = {
    ttft_reuse_ms: round(result.ttftReuseMs),
    ttft_cold_ms: round(result.ttftColdMs),
    peak_rss_mb: round(peakRssMb),
    weight_bytes: opened.model.manifest.weightBytes,
    first_turn_tokens: promptTokens,
    reply_tokens: genTokens,
    second_turn_tokens: secondTurnTokens,
    conversation_tokens: result.conversationTokens,
    reuse_fed_tokens: result.reuseFedTokens,
    repeats: result.repeats,
    other_cpu_pct: otherCpuPct === null ? null : round(otherCpuPct),
    ...opened.common,
  };
  if (options.json) {
    console.log(JSON.stringify(json));
    return 0;
  }
  console.log(
    [
      `hearth bench --second-turn: ${opened.describe}`,
      `  first turn: ${promptTokens}-token prompt and a ${genTokens}-token greedy reply; second turn: ${secondTurnTokens} new tokens`,
      `  TTFT with KV reuse: ${fixed(result.ttftReuseMs)} ms (${result.reuseFedTokens} tokens fed after ${result.conversationTokens - result.reuseFedTokens} cached)`,
      `  TTFT cold:          ${fixed(result.ttftColdMs)} ms (all ${result.conversationTokens} tokens fed into a fresh cache, 512 per call)`,
      `  (median of ${result.repeats} runs each, after a warm-up; peak RSS ${fixed(peakRssMb, 0)} MB)`,
      contentionLine(otherCpuPct),
    ].join('\n'),
  );
  return 0;
}
