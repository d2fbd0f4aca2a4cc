// `hearth bench` (the default mode): prefill and decode speed, TTFT and peak RSS of one
// configuration, with the memory planner's figure for it and how far that is from the peak.
import { planMemory } from '../../../engine/memory-plan/memory-plan.ts';
import { startContentionMeter } from '../../../engine/bench/cpu-contention.ts';
import { runSpeedBenchmark, WARMUP_PROMPT_TOKENS } from '../../../engine/bench/speed-benchmark.ts';
import type { KvCacheKind } from '../../../engine/runtime/kv-cache.ts';
import { contentionLine, fixed, MIB, peakRssMb as measurePeakRssMb, round, signed } from './bench-figures.ts';
import { displayPath } from './bench-locations.ts';
import type { OpenedBenchModel } from './opened-bench-model.ts';

/** The keys every speed JSON line starts with, in this order. */
export const SPEED_JSON_KEYS = ['prefill_tok_s', 'decode_tok_s', 'ttft_ms', 'peak_rss_mb', 'weight_bytes'] as const;

export interface SpeedBenchOptions {
  promptTokens: number;
  genTokens: number;
  cache: KvCacheKind | undefined;
  contextLength: number | undefined;
  seed: number;
  json: boolean;
}

export async function runSpeedBench(opened: OpenedBenchModel, options: SpeedBenchOptions): Promise<number> {
  const { model, baselineRssMb, loadMs } = opened;
  const { promptTokens, genTokens } = options;
  const weightBytes = model.manifest.weightBytes;
  const meter = startContentionMeter();
  const result = await runSpeedBenchmark(model, { promptTokens, genTokens, cache: options.cache, contextLength: options.contextLength, seed: options.seed });
  const otherCpuPct = meter.stop();
  const peakRssMb = measurePeakRssMb();
  const plan = planMemory(model.spec, model.manifest.precision, result.contextLength, {
    kvBytesPerElement: model.manifest.kvDtype === 'float16' ? 2 : 4,
    int8Kernel: model.manifest.int8Kernel ?? undefined,
    prefillGraph: model.manifest.prefillGraphFile !== null,
    attention: model.manifest.attention,
    // The benchmark prefills the whole prompt in one call.
    workspace: { prefillChunkTokens: promptTokens },
  });
  const plannedMb = plan.totalBytes / MIB;
  const plannedErrorPct = ((plannedMb - peakRssMb) / peakRssMb) * 100;
  const json = {
    prefill_tok_s: round(result.prefillTokensPerSecond),
    decode_tok_s: result.decodeTokensPerSecond === null ? null : round(result.decodeTokensPerSecond),
    ttft_ms: round(result.ttftMs),
    peak_rss_mb: round(peakRssMb),
    weight_bytes: weightBytes,
    planned_mb: round(plannedMb),
    planned_error_pct: round(plannedErrorPct),
    prefill_ms: round(result.prefillMs),
    decode_ms: round(result.decodeMs),
    warmup_ms: round(result.warmupMs),
    prompt_tokens: promptTokens,
    gen_tokens: genTokens,
    context: result.contextLength,
    cache: result.cache,
    other_cpu_pct: otherCpuPct === null ? null : round(otherCpuPct),
    ...opened.common,
  };
  if (options.json) {
    console.log(JSON.stringify(json));
    return 0;
  }
  console.log(
    [
      `hearth bench: ${opened.describe}, ${result.cache} KV cache`,
      `  model:    ${displayPath(opened.dir)} (${fixed(weightBytes / MIB)} MB of weights), session opened in ${fixed(loadMs, 0)} ms`,
      `  warm-up:  ${Math.min(WARMUP_PROMPT_TOKENS, promptTokens)}-token prefill + 1 decode step, ${fixed(result.warmupMs, 0)} ms (not part of the figures below)`,
      `  prefill:  ${promptTokens} tokens in one call, ${fixed(result.prefillMs, 0)} ms: ${fixed(result.prefillTokensPerSecond)} tok/s`,
      `  TTFT:     ${fixed(result.ttftMs)} ms (the prefill call + picking the first token)`,
      genTokens > 0
        ? `  decode:   ${genTokens} greedy steps, ${fixed(result.decodeMs, 0)} ms: ${fixed(result.decodeTokensPerSecond ?? 0)} tok/s`
        : '  decode:   not measured (--gen 0)',
      `  peak RSS: ${fixed(peakRssMb, 0)} MB (this process's peak; ${fixed(baselineRssMb, 0)} MB before the model was opened)`,
      `  planned:  ${fixed(plannedMb, 0)} MB by the memory planner for a ${result.contextLength}-token context (${signed(plannedErrorPct)} % against the peak RSS)`,
      contentionLine(otherCpuPct),
    ].join('\n'),
  );
  return 0;
}
