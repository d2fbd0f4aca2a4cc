// `hearth bench --streams N`: aggregate decode tok/s with N generations at once, their decode
// steps batched as the worker batches concurrent requests (engine/bench/concurrent-streams-benchmark.ts).
import { startContentionMeter } from '../../../engine/bench/cpu-contention.ts';
import { runConcurrentStreamsBenchmark } from '../../../engine/bench/concurrent-streams-benchmark.ts';
import { contentionLine, fixed, peakRssMb as measurePeakRssMb, round } from './bench-figures.ts';
import type { OpenedBenchModel } from './opened-bench-model.ts';

/** The keys every --streams JSON line starts with, in this order. */
export const STREAMS_JSON_KEYS = ['streams', 'decode_tok_s', 'per_stream_tok_s', 'peak_rss_mb', 'weight_bytes'] as const;

export interface StreamsBenchOptions {
  streams: number;
  promptTokens: number;
  genTokens: number;
  seed: number;
  json: boolean;
}

export async function runStreamsBench(opened: OpenedBenchModel, options: StreamsBenchOptions): Promise<number> {
  const meter = startContentionMeter();
  const result = await runConcurrentStreamsBenchmark(opened.model, options);
  const otherCpuPct = meter.stop();
  const peakRssMb = measurePeakRssMb();
  const json = {
    streams: result.streams,
    decode_tok_s: round(result.aggregateTokensPerSecond),
    per_stream_tok_s: result.perStreamTokensPerSecond.map(round),
    peak_rss_mb: round(peakRssMb),
    weight_bytes: opened.model.manifest.weightBytes,
    prompt_tokens: options.promptTokens,
    gen_tokens: options.genTokens,
    decode_ms: round(result.decodeMs),
    batched_steps: result.batchedSteps,
    batched_tokens: result.batchedTokens,
    single_steps: result.singleSteps,
    other_cpu_pct: otherCpuPct === null ? null : round(otherCpuPct),
    ...opened.common,
  };
  if (options.json) {
    console.log(JSON.stringify(json));
    return 0;
  }
  const perStream = result.perStreamTokensPerSecond.map((v) => fixed(v)).join(', ');
  console.log(
    [
      `hearth bench --streams ${result.streams}: ${opened.describe}`,
      `  ${result.streams} stream(s), each a ${options.promptTokens}-token prompt (untimed) then ${options.genTokens} greedy decode steps, at once`,
      `  aggregate decode: ${fixed(result.aggregateTokensPerSecond)} tok/s (per stream: ${perStream})`,
      `  model calls: ${result.batchedSteps} batched (${result.batchedTokens} tokens), ${result.singleSteps} single; peak RSS ${fixed(peakRssMb, 0)} MB`,
      contentionLine(otherCpuPct),
    ].join('\n'),
  );
  return 0;
}
