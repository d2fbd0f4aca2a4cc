// `hearth bench --train --shape S`: the peak memory and step time of LoRA training at a model's
// shape (random weights, written once into the bench cache) over a base at --base-dtype, for a
// batch of --batch rows of --seq tokens, beside the training memory plan's figure for the job.
import { join } from 'node:path';
import { env as ortEnv } from 'onnxruntime-node';
import type { BaseDtype } from '../../../common/contracts/jobs.ts';
import { isRandomCheckpointCurrent, writeRandomCheckpoint } from '../../../engine/bench/random-checkpoint.ts';
import type { BenchModelSource } from '../../../engine/bench/bench-model-cache.ts';
import { startContentionMeter } from '../../../engine/bench/cpu-contention.ts';
import { openModelSource } from '../../../engine/architectures/model-source.ts';
import { planTrainingMemory } from '../../../engine/memory-plan/training-memory-plan.ts';
import { runShapeTrainingBenchmark, SHAPE_TRAINING_SETTINGS } from '../../../train/shape-training-benchmark.ts';
import { UsageError } from '../../command.ts';
import { contentionLine, fixed, MIB, peakRssMb as measurePeakRssMb, round } from './bench-figures.ts';
import { benchCacheRoot } from './bench-locations.ts';

/** The keys every --train --shape JSON line starts with, in this order. */
export const TRAIN_SHAPE_JSON_KEYS = ['peak_rss_mb', 'plan_mb', 'step_ms', 'build_ms', 'base_dtype', 'batch', 'seq', 'steps'] as const;

export interface TrainShapeBenchOptions {
  source: BenchModelSource;
  baseDtype: BaseDtype;
  batch: number;
  sequence: number;
  steps: number;
  threads: number;
  seed: number;
  json: boolean;
}

export async function runTrainShapeBench(options: TrainShapeBenchOptions): Promise<number> {
  const { source } = options;
  if (source.kind === 'gguf') throw new UsageError('--train --shape takes a benchmark shape or a Hugging Face folder, not a GGUF file');
  const baseDir = source.kind === 'hf-dir' ? source.dir : join(benchCacheRoot(), `${source.name}-hf-bf16`);
  if (source.kind === 'shape' && !(await isRandomCheckpointCurrent(source.spec, baseDir))) {
    console.error(`writing random BF16 weights at the ${source.name} shape into ${baseDir} (once)`);
    await writeRandomCheckpoint(source.spec, baseDir);
  }
  const spec = source.kind === 'shape' ? source.spec : await specOf(baseDir);
  const plan = planTrainingMemory(spec, { baseDtype: options.baseDtype, batch: options.batch, sequence: options.sequence, r: SHAPE_TRAINING_SETTINGS.r, targets: SHAPE_TRAINING_SETTINGS.targets });
  const baselineRssMb = process.memoryUsage().rss / MIB;
  const meter = startContentionMeter();
  const result = await runShapeTrainingBenchmark({ baseDir, baseDtype: options.baseDtype, batch: options.batch, sequence: options.sequence, steps: options.steps, threads: options.threads, seed: options.seed });
  const otherCpuPct = meter.stop();
  const peakRssMb = measurePeakRssMb();
  const json = {
    peak_rss_mb: round(peakRssMb),
    plan_mb: round(plan.totalBytes / MIB),
    step_ms: round(result.stepMs),
    build_ms: round(result.buildMs),
    base_dtype: options.baseDtype,
    batch: options.batch,
    seq: options.sequence,
    steps: options.steps,
    first_step_ms: round(result.firstStepMs),
    plan_weights_mb: round(plan.frozenWeightBytes / MIB),
    plan_lora_mb: round(plan.loraBytes / MIB),
    plan_activations_mb: round(plan.activationBytes / MIB),
    plan_logits_mb: round(plan.logitsBytes / MIB),
    plan_runtime_mb: round(plan.runtimeBytes / MIB),
    first_loss: result.losses[0],
    last_loss: result.losses[result.losses.length - 1],
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
  const s = SHAPE_TRAINING_SETTINGS;
  console.log(
    [
      `hearth bench --train: ${source.kind === 'shape' ? source.name : baseDir}, base ${options.baseDtype}, LoRA r ${s.r}, alpha ${s.alpha}, ${s.targets}, batch ${options.batch} x ${options.sequence} tokens, ${options.threads} thread${options.threads === 1 ? '' : 's'}`,
      `  build:    ${fixed(result.buildMs, 0)} ms (graph recorded and written, session opened)`,
      `  steps:    ${options.steps}, ${fixed(result.firstStepMs, 0)} ms the first, ${fixed(result.stepMs, 0)} ms each after it (forward + backward + AdamW)`,
      `  loss:     ${result.losses[0].toFixed(3)} at the first step, ${result.losses[result.losses.length - 1].toFixed(3)} at the last`,
      `  peak RSS: ${fixed(peakRssMb, 0)} MB (this process's peak; ${fixed(baselineRssMb, 0)} MB before the run)`,
      `  plan:     ${fixed(plan.totalBytes / MIB, 0)} MB (frozen weights ${fixed(plan.frozenWeightBytes / MIB, 0)}, LoRA + AdamW ${fixed(plan.loraBytes / MIB, 0)}, activations ${fixed(plan.activationBytes / MIB, 0)}, logits ${fixed(plan.logitsBytes / MIB, 0)}, runtime ${fixed(plan.runtimeBytes / MIB, 0)})`,
      contentionLine(otherCpuPct),
    ].join('\n'),
  );
  return 0;
}

async function specOf(dir: string) {
  const source = await openModelSource(dir);
  try {
    return source.spec;
  } finally {
    await source.close();
  }
}
