// `hearth bench --train`: LoRA training speed on the bundled demo model, in non-padding tokens
// per second of step time (forward, backward and AdamW update).
import { env as ortEnv } from 'onnxruntime-node';
import { startContentionMeter } from '../../../engine/bench/cpu-contention.ts';
import { runTrainingBenchmark, TRAINING_BENCHMARK_SETTINGS } from '../../../train/training-benchmark.ts';
import { contentionLine, fixed, MIB, peakRssMb as measurePeakRssMb, round } from './bench-figures.ts';
import { TRAIN_BENCH_MODEL_DIR } from './bench-locations.ts';

/** The keys every --train JSON line starts with, in this order. */
export const TRAIN_JSON_KEYS = ['train_tok_s', 'step_ms', 'build_ms', 'peak_rss_mb', 'steps', 'batch'] as const;

export interface TrainBenchOptions {
  steps: number;
  batch: number;
  threads: number;
  seed: number;
  json: boolean;
}

export async function runTrainBench(options: TrainBenchOptions): Promise<number> {
  const baselineRssMb = process.memoryUsage().rss / MIB;
  const meter = startContentionMeter();
  const result = await runTrainingBenchmark({ baseDir: TRAIN_BENCH_MODEL_DIR, steps: options.steps, batchSize: options.batch, threads: options.threads, seed: options.seed });
  const otherCpuPct = meter.stop();
  const peakRssMb = measurePeakRssMb();
  const json = {
    train_tok_s: round(result.tokensPerSecond),
    step_ms: round(result.stepMs),
    build_ms: round(result.buildMs),
    peak_rss_mb: round(peakRssMb),
    steps: options.steps,
    batch: options.batch,
    timed_steps: result.timedSteps,
    warmup_ms: round(result.warmupMs),
    tokens_per_row: round(result.tokensPerRow),
    first_loss: result.firstLoss,
    last_loss: result.lastLoss,
    trainable_parameters: result.trainableParameters,
    graph_nodes: result.graphNodes,
    threads: options.threads,
    other_cpu_pct: otherCpuPct === null ? null : round(otherCpuPct),
    baseline_rss_mb: round(baselineRssMb),
    onnxruntime: ortEnv.versions.node,
  };
  if (options.json) {
    console.log(JSON.stringify(json));
    return 0;
  }
  const s = TRAINING_BENCHMARK_SETTINGS;
  console.log(
    [
      `hearth bench --train: shakespeare-5m, LoRA r ${s.r}, alpha ${s.alpha}, ${s.targets}, lr ${s.learningRate}, batch ${options.batch}, ${options.threads} thread${options.threads === 1 ? '' : 's'}`,
      `  build:    ${fixed(result.buildMs, 0)} ms (model opened, data tokenized, training and evaluation graphs written, sessions opened)`,
      `  warm-up:  ${result.warmupSteps} steps, ${fixed(result.warmupMs, 0)} ms (not part of the figures below)`,
      `  training: ${result.timedSteps} steps of ${options.batch} rows (${fixed(result.tokensPerRow)} tokens a row), ${fixed(result.stepMs)} ms a step: ${fixed(result.tokensPerSecond, 0)} tok/s`,
      '            (non-padding tokens, prompt and answer, per second of forward + backward + AdamW update)',
      `  loss:     ${result.firstLoss.toFixed(3)} at the first step, ${result.lastLoss.toFixed(3)} at the last`,
      `  peak RSS: ${fixed(peakRssMb, 0)} MB (this process's peak; ${fixed(baselineRssMb, 0)} MB before the run)`,
      contentionLine(otherCpuPct),
    ].join('\n'),
  );
  return 0;
}
