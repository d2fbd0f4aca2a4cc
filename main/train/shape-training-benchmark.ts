// The memory and speed of LoRA training steps at a model's shape, as `hearth bench --train
// --shape S` reports them: the real training graph (all-linear LoRA, r 8, alpha 16) over the
// base at --base-dtype, on full rows of random token ids (every position scored), run for a few
// steps with the AdamW update. What it measures is the job's footprint at batch × sequence,
// which the training memory plan (../engine/memory-plan/training-memory-plan.ts) predicts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BaseDtype } from '../common/contracts/jobs.ts';
import { openModelSource } from '../engine/architectures/model-source.ts';
import { SeededRandom } from '../engine/runtime/seeded-random.ts';
import { AdamW, DEFAULT_ADAMW } from './adamw.ts';
import { initLoraAdapter, loraParameters, loraScaling, type LoraSettings } from './lora-adapter.ts';
import { parseTargetModules } from './lora-targets.ts';
import { writeTrainingGraph } from './training-graph.ts';
import { TrainingSession, type TokenBatch } from './training-session.ts';

export const SHAPE_TRAINING_SETTINGS = { r: 8, alpha: 16, targets: 'all-linear', learningRate: 2e-4 } as const;

export interface ShapeTrainingBenchmarkOptions {
  /** A Hugging Face folder (random weights at a benchmark shape, or a real model). */
  baseDir: string;
  baseDtype: BaseDtype;
  batch: number;
  /** Tokens per row. */
  sequence: number;
  steps: number;
  threads?: number;
  seed?: number;
}

export interface ShapeTrainingBenchmarkResult {
  /** Graph recorded and written, session opened. */
  buildMs: number;
  /** Mean of the steps after the first (which plans and allocates). */
  stepMs: number;
  firstStepMs: number;
  losses: number[];
  trainableParameters: number;
  graphNodes: number;
}

/** Rows of random ids, every position real and scored. */
export function randomTokenBatch(rows: number, length: number, vocab: number, seed: number): TokenBatch {
  const random = new SeededRandom(seed);
  const inputIds = BigInt64Array.from({ length: rows * length }, () => BigInt(Math.floor(random.next() * vocab)));
  return { rows, length, inputIds, attentionMask: new BigInt64Array(rows * length).fill(1n), labels: BigInt64Array.from(inputIds) };
}

export async function runShapeTrainingBenchmark(options: ShapeTrainingBenchmarkOptions): Promise<ShapeTrainingBenchmarkResult> {
  const seed = options.seed ?? 0;
  const scratch = await mkdtemp(join(tmpdir(), 'hearth-train-shape-'));
  try {
    const started = performance.now();
    const source = await openModelSource(options.baseDir);
    const settings: LoraSettings = { r: SHAPE_TRAINING_SETTINGS.r, alpha: SHAPE_TRAINING_SETTINGS.alpha, dropout: 0, targetModules: parseTargetModules(SHAPE_TRAINING_SETTINGS.targets) };
    const adapter = initLoraAdapter(source.spec, settings, seed);
    let graph;
    try {
      graph = await writeTrainingGraph(source, scratch, 'train.onnx', {
        r: settings.r,
        scaling: loraScaling(settings),
        targets: adapter.modules.map((m) => m.path),
        dropout: false,
        gradients: true,
        baseDtype: options.baseDtype,
      });
    } finally {
      await source.close();
    }
    const session = await TrainingSession.open(graph, { threads: options.threads });
    const buildMs = performance.now() - started;
    const params = new Map(loraParameters(adapter).map((p) => [p.name, p.data]));
    const optimizer = new AdamW({ ...DEFAULT_ADAMW });
    const losses: number[] = [];
    const stepTimes: number[] = [];
    try {
      for (let step = 0; step < options.steps; step++) {
        const stepStarted = performance.now();
        const batch = randomTokenBatch(options.batch, options.sequence, source.spec.vocabSize, seed + step);
        const run = await session.run(batch, params);
        optimizer.update(params, run.grads, SHAPE_TRAINING_SETTINGS.learningRate);
        losses.push(run.loss);
        stepTimes.push(performance.now() - stepStarted);
      }
    } finally {
      await session.release();
    }
    const later = stepTimes.slice(1);
    return {
      buildMs,
      firstStepMs: stepTimes[0],
      stepMs: later.length ? later.reduce((a, b) => a + b, 0) / later.length : stepTimes[0],
      losses,
      trainableParameters: [...params.values()].reduce((n, p) => n + p.length, 0),
      graphNodes: graph.nodeCount,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
