// One LoRA fine-tuning run, from a Hugging Face model folder and a JSONL dataset to a PEFT
// adapter: the job runner behind `hearth finetune` and the app's fine-tuning jobs.
//
// It reports through events (progress, loss, evaluation, checkpoints), stops at the next step
// boundary when its AbortSignal fires (after writing a checkpoint, so a cancelled job resumes),
// and with `resume` continues from the last checkpoint in the output folder: same data order,
// optimizer moments, generator state and metrics, so the loss curve goes on where it stopped.
import { mkdtemp, rm, writeFile, appendFile, mkdir } from 'node:fs/promises';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { openModelSource } from '../engine/architectures/model-source.ts';
import { loadTokenizer } from '../engine/tokenizer/load-tokenizer.ts';
import type { TextTokenizer } from '../engine/tokenizer/text-tokenizer.ts';
import { AdamW, DEFAULT_ADAMW } from './adamw.ts';
import { adapterOff, collatePairs, completionLogps, DEFAULT_DPO_BETA, evaluatePreferences, preparePreferenceData } from './dpo-objective.ts';
import { PreferenceTally, type PreferenceMetrics } from './preference-rewards.ts';
import { drawDropoutMasks } from './dropout-masks.ts';
import { EpochSampler } from './epoch-sampler.ts';
import { initLoraAdapter, loraParameters, loraScaling, type LoraSettings } from './lora-adapter.ts';
import { checkLoraArchitecture, parseFamilyTargetModules } from './lora-targets.ts';
import { learningRateAt, type LrSchedule } from './lr-schedule.ts';
import { writePeftAdapter } from './peft-adapter-files.ts';
import { DatasetError, readSftDataset, type DatasetLine } from './sft-dataset.ts';
import { tokenizeDataset, type SftExample } from './sft-examples.ts';
import { collateBatch, realTokens } from './token-batch.ts';
import { CheckpointResumeError, loadLatestCheckpoint, saveTrainingCheckpoint, type MetricPoint, type TrainerState } from './training-checkpoint.ts';
import { writeTrainingGraph } from './training-graph.ts';
import { TrainingSession } from './training-session.ts';
import type { BaseDtype } from '../common/contracts/jobs.ts';
import { checkTrainingFits, planTrainingMemory, type TrainingMemoryPlan } from '../engine/memory-plan/training-memory-plan.ts';
import { SeededRandom } from '../engine/runtime/seeded-random.ts';

export interface FinetuneOptions {
  /** Hugging Face model folder (config.json, safetensors, tokenizer). */
  baseDir: string;
  /** Training JSONL (chat, Alpaca or text rows; for DPO, TRL's preference pairs). */
  dataPath: string;
  /** 'sft' (default): next-token loss on the answers; 'dpo': DPO's sigmoid loss on preference pairs. */
  method?: 'sft' | 'dpo';
  /** DPO's β: how far the policy may move from the reference (the base model). */
  beta?: number;
  /** Evaluation JSONL; without it, 10 % of the training rows are held out (when there are at least 10). */
  evalDataPath?: string;
  /** Where the adapter, metrics.jsonl and checkpoints/ go. */
  outDir: string;
  r?: number;
  alpha?: number;
  dropout?: number;
  /** 'all-linear' or module names such as ['q_proj', 'v_proj']. */
  targets?: string | string[];
  learningRate?: number;
  /** Rows per micro-batch (DPO: pairs). */
  batchSize?: number;
  /** Micro-batches per optimizer step. */
  gradAccum?: number;
  /** Optimizer steps; when absent, `epochs` decides. */
  steps?: number;
  epochs?: number;
  warmupSteps?: number;
  schedule?: LrSchedule;
  weightDecay?: number;
  /** Tokens per example; longer ones are truncated (and counted). Default: min(1024, the model's context). */
  maxLength?: number;
  seed?: number;
  /** Evaluate every N steps (0: only at the end). */
  evalEvery?: number;
  /** Checkpoint every N steps (0: only when cancelled). */
  checkpointEvery?: number;
  threads?: number;
  executionProvider?: 'cpu' | 'webgpu';
  /** The frozen base's precision (default fp32); the adapter is the same PEFT adapter whatever it is. */
  baseDtype?: BaseDtype;
  /** Memory the job may use (default: the machine's total); a job whose plan does not fit is refused before it starts. */
  memoryBudgetBytes?: number;
  /** Continue from the last checkpoint in outDir (a fresh start when there is none). */
  resume?: boolean;
  /** Stops the run at the next step boundary; a checkpoint is written first. */
  signal?: AbortSignal;
  onEvent?: (event: FinetuneEvent) => void;
}

export interface DatasetReport {
  trainExamples: number;
  evalExamples: number;
  /** Where the eval rows came from. */
  evalSource: 'file' | 'split' | 'none';
  truncated: number;
  /** Lines whose examples kept no scored token (all of it was prompt, or truncated away). */
  unscoredLines: number[];
  maxLength: number;
}

export type FinetuneEvent =
  | { type: 'memory-plan'; plan: TrainingMemoryPlan }
  | { type: 'prepared'; dataset: DatasetReport; totalSteps: number; trainableParameters: number; graphNodes: number }
  | { type: 'resumed'; step: number; checkpointDir: string; metrics: MetricPoint[] }
  | { type: 'step'; step: number; totalSteps: number; loss: number; lr: number; epoch: number; tokensPerSecond: number; elapsedMs: number; etaMs: number; preference?: PreferenceMetrics }
  | { type: 'eval'; step: number; evalLoss: number; preference?: PreferenceMetrics }
  | { type: 'checkpoint'; step: number; dir: string }
  | { type: 'done'; status: 'completed' | 'cancelled'; step: number; adapterDir: string | null };

export interface FinetuneResult {
  status: 'completed' | 'cancelled';
  /** Optimizer steps done. */
  step: number;
  totalSteps: number;
  /** Train loss of the last step; eval loss of the last evaluation (null when there is no eval set). */
  finalLoss: number | null;
  evalLoss: number | null;
  /** DPO: the rewards on the eval pairs at the end (else on the last step's pairs). */
  preference?: PreferenceMetrics;
  metrics: MetricPoint[];
  dataset: DatasetReport;
  /** Mean training speed over this run's steps, non-padding tokens per second. */
  tokensPerSecond: number;
  /** The adapter folder (outDir) when completed. */
  adapterDir: string | null;
}

export const FINETUNE_DEFAULTS = {
  method: 'sft' as 'sft' | 'dpo',
  beta: DEFAULT_DPO_BETA,
  r: 8,
  alpha: 16,
  dropout: 0,
  targets: 'all-linear',
  learningRate: 2e-4,
  batchSize: 8,
  gradAccum: 1,
  epochs: 3,
  warmupSteps: 0,
  schedule: 'linear' as LrSchedule,
  weightDecay: 0,
  maxLength: 1024,
  seed: 0,
  evalEvery: 0,
  checkpointEvery: 50,
};

const METRICS_FILE = 'metrics.jsonl';
const MIN_ROWS_FOR_SPLIT = 10;
const EVAL_FRACTION = 0.1;

export async function runFinetune(options: FinetuneOptions): Promise<FinetuneResult> {
  const o = { ...FINETUNE_DEFAULTS, ...withoutUndefined(options), baseDir: options.baseDir, dataPath: options.dataPath, outDir: options.outDir };
  const emit = options.onEvent ?? (() => {});
  const source = await openModelSource(o.baseDir);
  const scratch = await mkdtemp(join(tmpdir(), 'hearth-finetune-'));
  try {
    checkLoraArchitecture(source.spec);
    const settings: LoraSettings = { r: o.r, alpha: o.alpha, dropout: o.dropout, targetModules: parseFamilyTargetModules(source.spec, o.targets) };
    if (!(o.dropout >= 0 && o.dropout < 1)) throw new RangeError(`LoRA dropout must be in [0, 1), not ${o.dropout}.`);
    const maxLength = Math.min(o.maxLength, source.spec.contextLength);
    const tokenizer = await loadTokenizer(o.baseDir);
    if (o.method === 'dpo' && !(o.beta > 0)) throw new RangeError(`DPO's beta must be above 0, not ${o.beta}.`);
    const prefs = o.method === 'dpo' ? await preparePreferenceData(tokenizer, o.dataPath, o.evalDataPath, maxLength, (rows) => holdOut(rows, o.seed)) : null;
    const data: PreparedData = prefs
      ? { train: [], eval: [], report: { trainExamples: prefs.train.length, evalExamples: prefs.eval.length, evalSource: prefs.evalSource, truncated: prefs.truncated, unscoredLines: prefs.dropped, maxLength } }
      : await prepareData(tokenizer, o.dataPath, o.evalDataPath, maxLength, o.seed);
    const trainCount = prefs ? prefs.train.length : data.train.length;
    const stepsPerEpoch = Math.ceil(Math.ceil(trainCount / o.batchSize) / o.gradAccum);
    const totalSteps = options.steps ?? Math.max(1, Math.round(o.epochs * stepsPerEpoch));
    const padTokenId = tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0;

    // Refused before any graph is built when the job's memory plan does not fit (DPO: chosen and
    // rejected rows together, at the length limit).
    const memory = { baseDtype: options.baseDtype ?? 'fp32', batch: prefs ? 2 * o.batchSize : o.batchSize, sequence: prefs ? maxLength : Math.max(...data.train.map((e) => e.ids.length)) };
    const plan = planTrainingMemory(source.spec, { ...memory, r: settings.r, targets: settings.targetModules });
    checkTrainingFits(plan, memory, options.memoryBudgetBytes ?? totalmem());
    emit({ type: 'memory-plan', plan });

    let adapter = initLoraAdapter(source.spec, settings, o.seed);
    const targets = adapter.modules.map((m) => m.path);
    const graphOptions = { r: settings.r, scaling: loraScaling(settings), targets, dropout: settings.dropout > 0, baseDtype: options.baseDtype };
    const trainGraph = await writeTrainingGraph(source, scratch, 'train.onnx', { ...graphOptions, gradients: true, objective: prefs ? 'dpo' : 'causal-lm' });
    // DPO scores its reference and its eval pairs with the training graph (see below), so it opens no second session.
    const evalGraph = data.eval.length > 0 ? await writeTrainingGraph(source, scratch, 'eval.onnx', { ...graphOptions, dropout: false, gradients: false }) : null;
    const sessionOptions = { threads: o.threads, executionProvider: o.executionProvider };
    const trainer = await TrainingSession.open(trainGraph, sessionOptions);
    const evaluator = evalGraph ? await TrainingSession.open(evalGraph, sessionOptions) : null;

    const fingerprint = { baseDir: o.baseDir, dataPath: o.dataPath, evalDataPath: o.evalDataPath ?? null, settings, learningRate: o.learningRate, batchSize: o.batchSize, gradAccum: o.gradAccum, totalSteps, warmupSteps: o.warmupSteps, schedule: o.schedule, weightDecay: o.weightDecay, maxLength, seed: o.seed, ...(prefs ? { method: 'dpo', beta: o.beta } : {}) };
    let optimizer = new AdamW({ ...DEFAULT_ADAMW, weightDecay: o.weightDecay });
    let sampler = EpochSampler.start(trainCount, o.seed);
    let metrics: MetricPoint[] = [];
    let step = 0;
    let tokensSeen = 0;
    let trainingMs = 0;

    await mkdir(o.outDir, { recursive: true });
    const resumed = o.resume ? await loadLatestCheckpoint(o.outDir, source.spec) : null;
    if (resumed) {
      const mismatch = Object.keys(fingerprint).find((key) => JSON.stringify((fingerprint as Record<string, unknown>)[key]) !== JSON.stringify(resumed.state.fingerprint[key]));
      if (mismatch) throw new CheckpointResumeError(`${resumed.dir} was made with a different ${mismatch} (${JSON.stringify(resumed.state.fingerprint[mismatch])}); resume with the same settings, or start afresh in another folder.`);
      adapter = { settings: adapter.settings, modules: resumed.adapter.modules };
      optimizer = new AdamW(optimizer.settings, resumed.optimizer);
      sampler = EpochSampler.resume(trainCount, resumed.state.sampler);
      metrics = resumed.state.metrics;
      step = resumed.state.step;
      tokensSeen = resumed.state.tokensSeen;
      trainingMs = resumed.state.trainingMs;
      emit({ type: 'resumed', step, checkpointDir: resumed.dir, metrics: [...metrics] });
    }
    // The curve on disk restarts from what the checkpoint holds, dropping steps after it.
    await writeFile(join(o.outDir, METRICS_FILE), metrics.map((m) => JSON.stringify(m) + '\n').join(''));

    const params = new Map(loraParameters(adapter).map((p) => [p.name, p.data]));
    emit({ type: 'prepared', dataset: data.report, totalSteps, trainableParameters: [...params.values()].reduce((n, p) => n + p.length, 0), graphNodes: trainGraph.nodeCount });

    const record = async (point: MetricPoint) => {
      const existing = metrics.find((m) => m.step === point.step);
      if (existing) Object.assign(existing, point);
      else metrics.push(point);
      await appendFile(join(o.outDir, METRICS_FILE), JSON.stringify(point) + '\n');
    };
    const checkpoint = async () => {
      const state: TrainerState = { format: 1, step, sampler: sampler.state(), metrics, fingerprint, tokensSeen, trainingMs };
      const dir = await saveTrainingCheckpoint(o.outDir, state, adapter, optimizer.state);
      emit({ type: 'checkpoint', step, dir });
    };
    // DPO: the base model's log-probabilities of every pair, once (see dpo-objective.ts), from the
    // training graph itself with the adapter off: no second session, so no second copy of the base
    // weights (its gradients are computed and dropped). They come from other batches than the
    // training steps' (other padding), so at step 1, where the policy is the base, a margin is 0 only
    // to float32 noise (|reward| ~ 1e-7), not exactly.
    const refLogps = prefs ? await completionLogps(trainer, [...prefs.train, ...prefs.eval], adapterOff(params), o.batchSize, padTokenId) : null;
    let evalPreference: PreferenceMetrics | undefined;
    let trainPreference: PreferenceMetrics | undefined;
    const evaluate = async (): Promise<number | null> => {
      if (prefs) {
        if (prefs.eval.length === 0) return null;
        evalPreference = await evaluatePreferences(trainer, prefs.eval, params, refLogps!, o.beta, o.batchSize, padTokenId);
        return evalPreference.loss;
      }
      if (!evaluator) return null;
      let nll = 0;
      let tokens = 0;
      for (let i = 0; i < data.eval.length; i += o.batchSize) {
        const run = await evaluator.run(collateBatch(data.eval.slice(i, i + o.batchSize), padTokenId), params);
        run.rowNll.forEach((value, r) => ((nll += value), (tokens += run.rowTokens[r])));
      }
      return nll / Math.max(tokens, 1);
    };

    let lastLoss: number | null = metrics.length ? (metrics[metrics.length - 1].loss ?? null) : null;
    let lastEval: number | null = null;
    let runTokens = 0;
    let runMs = 0;
    let status: 'completed' | 'cancelled' = 'completed';
    try {
      while (step < totalSteps) {
        if (options.signal?.aborted) {
          status = 'cancelled';
          break;
        }
        const started = performance.now();
        const lr = learningRateAt(step, totalSteps, o.learningRate, o.warmupSteps, o.schedule);
        const summed = new Map<string, Float32Array>();
        let lossSum = 0;
        let stepTokens = 0;
        const tally = prefs ? new PreferenceTally(o.beta) : null;
        for (let micro = 0; micro < o.gradAccum; micro++) {
          const picked = sampler.nextBatch(o.batchSize);
          const pairs = prefs ? collatePairs(picked.map((i) => prefs.train[i]), padTokenId, refLogps, o.beta) : null;
          const batch = pairs ? pairs.batch : collateBatch(picked.map((i) => data.train[i]), padTokenId);
          const masks = settings.dropout > 0 ? drawDropoutMasks(trainGraph.dropoutMasks, batch.rows * batch.length, settings.dropout, sampler.random) : undefined;
          const run = await trainer.run(batch, params, masks, pairs?.feeds);
          if (pairs) tally!.add(Array.from(run.rowNll, (nll) => -nll), pairs.feeds.refLogps);
          lossSum += run.loss;
          stepTokens += realTokens(batch);
          for (const [name, grad] of run.grads) {
            const total = summed.get(name);
            if (!total) summed.set(name, o.gradAccum === 1 ? grad : Float32Array.from(grad, (g) => g / o.gradAccum));
            else for (let k = 0; k < grad.length; k++) total[k] += grad[k] / o.gradAccum;
          }
        }
        optimizer.update(params, summed, lr);
        step++;
        const elapsed = performance.now() - started;
        runMs += elapsed;
        runTokens += stepTokens;
        trainingMs += elapsed;
        tokensSeen += stepTokens;
        lastLoss = lossSum / o.gradAccum;
        const tokensPerSecond = stepTokens / (elapsed / 1000);
        trainPreference = tally?.metrics();
        await record({ step, loss: lastLoss, lr, tokensPerSecond, epoch: sampler.epoch, ...rewardPoint('', trainPreference) });
        emit({ type: 'step', step, totalSteps, loss: lastLoss, lr, epoch: sampler.epoch, tokensPerSecond, elapsedMs: trainingMs, etaMs: (runMs / Math.max(1, step - (resumed?.state.step ?? 0))) * (totalSteps - step), ...(trainPreference ? { preference: trainPreference } : {}) });
        if (o.evalEvery > 0 && step % o.evalEvery === 0 && step < totalSteps) {
          lastEval = await evaluate();
          if (lastEval !== null) {
            await record({ step, evalLoss: lastEval, ...rewardPoint('eval', evalPreference) });
            emit({ type: 'eval', step, evalLoss: lastEval, ...(evalPreference ? { preference: evalPreference } : {}) });
          }
        }
        if (o.checkpointEvery > 0 && step % o.checkpointEvery === 0 && step < totalSteps) await checkpoint();
      }
      if (status === 'cancelled') {
        await checkpoint();
      } else {
        lastEval = await evaluate();
        if (lastEval !== null) {
          await record({ step, evalLoss: lastEval, ...rewardPoint('eval', evalPreference) });
          emit({ type: 'eval', step, evalLoss: lastEval, ...(evalPreference ? { preference: evalPreference } : {}) });
        }
        await writePeftAdapter(o.outDir, adapter, { baseModel: o.baseDir });
      }
    } finally {
      await trainer.release();
      await evaluator?.release();
    }
    const adapterDir = status === 'completed' ? o.outDir : null;
    emit({ type: 'done', status, step, adapterDir });
    const preference = evalPreference ?? trainPreference;
    return { status, step, totalSteps, finalLoss: lastLoss, evalLoss: lastEval, ...(preference ? { preference } : {}), metrics, dataset: data.report, tokensPerSecond: runTokens / Math.max(runMs / 1000, 1e-9), adapterDir };
  } finally {
    await source.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

interface PreparedData {
  train: SftExample[];
  eval: SftExample[];
  report: DatasetReport;
}

async function prepareData(tokenizer: TextTokenizer, dataPath: string, evalPath: string | undefined, maxLength: number, seed: number): Promise<PreparedData> {
  const rows = await readSftDataset(dataPath);
  let trainRows: DatasetLine[] = rows;
  let evalRows: DatasetLine[] = [];
  let evalSource: DatasetReport['evalSource'] = 'none';
  if (evalPath) {
    evalRows = await readSftDataset(evalPath);
    evalSource = 'file';
  } else if (rows.length >= MIN_ROWS_FOR_SPLIT) {
    ({ train: trainRows, eval: evalRows } = holdOut(rows, seed));
    evalSource = 'split';
  }
  const train = tokenizeDataset(tokenizer, trainRows, { maxLength });
  const evaluation = tokenizeDataset(tokenizer, evalRows, { maxLength });
  if (train.examples.length === 0) throw new DatasetError(`${dataPath}: no example has a token to learn from (every assistant answer is empty or cut off by the maximum length of ${maxLength}).`);
  return {
    train: train.examples,
    eval: evaluation.examples,
    report: {
      trainExamples: train.examples.length,
      evalExamples: evaluation.examples.length,
      evalSource,
      truncated: train.truncated + evaluation.truncated,
      unscoredLines: [...train.unscored, ...evaluation.unscored],
      maxLength,
    },
  };
}

/**
 * A seeded 90/10 split (none under 10 rows); the held-out rows are the same for every run with
 * this seed.
 */
function holdOut<T>(rows: readonly T[], seed: number): { train: T[]; eval: T[] } {
  if (rows.length < MIN_ROWS_FOR_SPLIT) return { train: [...rows], eval: [] };
  const random = new SeededRandom(seed ^ 0x5eed);
  const order = rows.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const held = new Set(order.slice(0, Math.max(1, Math.round(rows.length * EVAL_FRACTION))));
  return { train: rows.filter((_, i) => !held.has(i)), eval: rows.filter((_, i) => held.has(i)) };
}

/** DPO's rewards as metric fields (rewardsChosen, or evalRewardsChosen with prefix 'eval'). */
function rewardPoint(prefix: '' | 'eval', metrics: PreferenceMetrics | undefined): Partial<MetricPoint> {
  if (!metrics) return {};
  const key = (name: string) => (prefix ? `${prefix}${name[0].toUpperCase()}${name.slice(1)}` : name);
  return {
    [key('rewardsChosen')]: metrics.rewardsChosen,
    [key('rewardsRejected')]: metrics.rewardsRejected,
    [key('rewardsMargin')]: metrics.rewardsMargin,
    [key('rewardsAccuracy')]: metrics.rewardsAccuracy,
  };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

