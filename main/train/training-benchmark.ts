// The speed of LoRA training steps, as `hearth bench --train` reports it: a real fine-tuning run
// (runFinetune, as `hearth finetune` runs it) of a model on a generated greeting task shaped like
// the reference task ("Greet X." → "Good morrow, X!", about 35 tokens per rendered row),
// with the first steps (the first session run allocates and plans) left out of the timing.
//
// Speed is counted as PyTorch's reference figure counts it: non-padding tokens (prompt and
// answer, every position whose attention mask is 1) per second of step time, where a step is
// the graph's forward and backward run plus the AdamW update.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFinetune } from './finetune-job.ts';

export interface TrainingBenchmarkOptions {
  /** Hugging Face model folder (a llama-family model the trainer supports). */
  baseDir: string;
  /** Optimizer steps, the untimed warm-up steps included. */
  steps: number;
  batchSize: number;
  threads?: number;
  /** Steps run before the timing starts (default 2). */
  warmupSteps?: number;
  seed?: number;
}

export interface TrainingBenchmarkResult {
  /** Steps timed (steps − warm-up). */
  timedSteps: number;
  warmupSteps: number;
  batchSize: number;
  /** Non-padding tokens per second over the timed steps. */
  tokensPerSecond: number;
  /** Mean wall time of one timed step (graph run + AdamW update). */
  stepMs: number;
  /** Non-padding tokens per row, mean over the timed steps. */
  tokensPerRow: number;
  /** Model opened, data tokenized, training and evaluation graphs written and their sessions opened. */
  buildMs: number;
  /** The warm-up steps together. */
  warmupMs: number;
  /** Train loss of the first and last step: the run learned something. */
  firstLoss: number;
  lastLoss: number;
  trainableParameters: number;
  graphNodes: number;
}

export const TRAINING_BENCHMARK_SETTINGS = { r: 8, alpha: 16, targets: 'all-linear', learningRate: 2e-3 } as const;
export const DEFAULT_TRAINING_WARMUP_STEPS = 2;

/** Shakespearean names, so the answers vary in length and tokens as the reference task's do. */
const NAMES = [
  'Montague', 'Capulet', 'Benvolio', 'Mercutio', 'Tybalt', 'Rosaline', 'Juliet', 'Romeo', 'Horatio', 'Ophelia',
  'Polonius', 'Laertes', 'Gertrude', 'Claudius', 'Rosencrantz', 'Guildenstern', 'Prospero', 'Miranda', 'Ariel', 'Caliban',
  'Ferdinand', 'Gonzalo', 'Sebastian', 'Antonio', 'Bassanio', 'Portia', 'Nerissa', 'Gratiano', 'Lorenzo', 'Jessica',
  'Orsino', 'Viola', 'Olivia', 'Malvolio', 'Feste', 'Rosalind', 'Celia', 'Orlando', 'Touchstone', 'Jaques',
  'Petruchio', 'Katherina', 'Bianca', 'Lucentio', 'Tranio', 'Biondello', 'Benedick', 'Beatrice', 'Claudio', 'Leonato',
  'Desdemona', 'Othello', 'Iago', 'Cassio', 'Emilia', 'Banquo', 'Macduff', 'Duncan', 'Cordelia', 'Goneril',
  'Regan', 'Edmund', 'Edgar', 'Gloucester', 'Titania', 'Oberon', 'Puck', 'Lysander', 'Demetrius', 'Hermia',
  'Helena', 'Bottom', 'Quince', 'Falstaff', 'Hotspur', 'Bardolph', 'Pistol', 'Cleopatra', 'Enobarbus', 'Octavia',
];

/** The generated dataset: one chat row per name, as JSONL. */
export function greetingDataset(): string {
  return NAMES.map((name) => JSON.stringify({ messages: [{ role: 'user', content: `Greet ${name}.` }, { role: 'assistant', content: `Good morrow, ${name}!` }] }) + '\n').join('');
}

export async function runTrainingBenchmark(options: TrainingBenchmarkOptions): Promise<TrainingBenchmarkResult> {
  const warmupSteps = options.warmupSteps ?? DEFAULT_TRAINING_WARMUP_STEPS;
  if (!Number.isInteger(options.steps) || options.steps <= warmupSteps) {
    throw new RangeError(`The training benchmark needs more steps than its ${warmupSteps} warm-up steps, not ${options.steps}.`);
  }
  const scratch = await mkdtemp(join(tmpdir(), 'hearth-train-bench-'));
  try {
    const dataPath = join(scratch, 'greet.jsonl');
    await writeFile(dataPath, greetingDataset());
    const started = performance.now();
    let buildMs = 0;
    let trainableParameters = 0;
    let graphNodes = 0;
    let previousElapsedMs = 0;
    let warmupMs = 0;
    let timedMs = 0;
    let timedTokens = 0;
    const losses: number[] = [];
    await runFinetune({
      ...TRAINING_BENCHMARK_SETTINGS,
      baseDir: options.baseDir,
      dataPath,
      outDir: join(scratch, 'adapter'),
      batchSize: options.batchSize,
      steps: options.steps,
      seed: options.seed ?? 0,
      threads: options.threads,
      checkpointEvery: 0,
      onEvent(event) {
        if (event.type === 'prepared') {
          buildMs = performance.now() - started;
          trainableParameters = event.trainableParameters;
          graphNodes = event.graphNodes;
        } else if (event.type === 'step') {
          // elapsedMs is the training time so far; the step's own time is its increase.
          const stepMs = event.elapsedMs - previousElapsedMs;
          previousElapsedMs = event.elapsedMs;
          losses.push(event.loss);
          if (event.step <= warmupSteps) {
            warmupMs += stepMs;
          } else {
            timedMs += stepMs;
            timedTokens += (event.tokensPerSecond * stepMs) / 1000;
          }
        }
      },
    });
    const timedSteps = options.steps - warmupSteps;
    return {
      timedSteps,
      warmupSteps,
      batchSize: options.batchSize,
      tokensPerSecond: timedTokens / (timedMs / 1000),
      stepMs: timedMs / timedSteps,
      tokensPerRow: Math.round(timedTokens) / (timedSteps * options.batchSize),
      buildMs,
      warmupMs,
      firstLoss: losses[0],
      lastLoss: losses[losses.length - 1],
      trainableParameters,
      graphNodes,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
