// hearth bench: the speed and memory of one configuration, on a random-weight model at a real
// model's shape (or a built Hugging Face folder). One configuration per process, because the
// peak RSS reported is this process's peak; `hearth bench-table` runs many of them.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { env as ortEnv } from 'onnxruntime-node';
import { planMemory } from '../../common/memory-plan.ts';
import { AttentionModeSchema, Int8KernelSchema, PrecisionSchema } from '../../common/model-manifest.ts';
import {
  benchBuildVariant,
  benchModelDir,
  benchModelLabel,
  benchPrecisionLabel,
  buildBenchModel,
  isBenchModelCurrent,
  resolveBenchModelSource,
  UnknownBenchShapeError,
  type BenchModelRequest,
} from '../../engine/bench/bench-model-cache.ts';
import { startContentionMeter } from '../../engine/bench/cpu-contention.ts';
import { runSecondTurnBenchmark } from '../../engine/bench/second-turn-benchmark.ts';
import { runSpeedBenchmark, WARMUP_PROMPT_TOKENS } from '../../engine/bench/speed-benchmark.ts';
import type { KvCacheKind } from '../../engine/runtime/kv-cache.ts';
import { openModel } from '../../engine/runtime/model-session.ts';
import { DEFAULT_TRAINING_WARMUP_STEPS, runTrainingBenchmark, TRAINING_BENCHMARK_SETTINGS } from '../../train/training-benchmark.ts';
import { UsageError, type Command } from '../command.ts';
import { createProgressBar } from '../progress-bar.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const HEARTH_BIN = fileURLToPath(new URL('../../../bin/hearth.mjs', import.meta.url));
/** The bundled demo model, which `hearth bench --train` fine-tunes. */
export const TRAIN_BENCH_MODEL_DIR = fileURLToPath(new URL('../../../resources/models/shakespeare-5m/', import.meta.url));

/** The built models live here unless HEARTH_BENCH_CACHE names another folder. */
export function benchCacheRoot(): string {
  return process.env.HEARTH_BENCH_CACHE || fileURLToPath(new URL('../../../.cache/bench/', import.meta.url));
}

/** The keys every speed JSON line starts with, in this order. */
export const SPEED_JSON_KEYS = ['prefill_tok_s', 'decode_tok_s', 'ttft_ms', 'peak_rss_mb', 'weight_bytes'] as const;
/** The keys every --second-turn JSON line starts with, in this order. */
export const SECOND_TURN_JSON_KEYS = ['ttft_reuse_ms', 'ttft_cold_ms', 'peak_rss_mb', 'weight_bytes'] as const;
/** The keys every --train JSON line starts with, in this order. */
export const TRAIN_JSON_KEYS = ['train_tok_s', 'step_ms', 'build_ms', 'peak_rss_mb', 'steps', 'batch'] as const;

const MIB = 1024 * 1024;

const USAGE = [
  'hearth bench --shape qwen2.5-0.5b|narrow-8k|<hf-dir> [--dtype fp32|fp16|int8|int4] [--threads N] [--prompt 512] [--gen 128]',
  '             [--int8-kernel dynamic|blockwise] [--prefill-graph] [--attention fused|reference] [--cache shared-buffer|growing]',
  '             [--context N] [--seed N] [--json] [--second-turn [--turn2 32]] [--rebuild] [--build-only]',
  'hearth bench --train [--steps 60] [--batch 8] [--threads N] [--seed N] [--json]',
  '',
  '  --int8-kernel (int8 only): dynamic (integer GEMM, the default, for the CPU) or blockwise (MatMulNBits, for the GPU).',
  '  --prefill-graph (int4 only): also build the int8 graph that prompts of 16 tokens or more run on.',
  '  Builds (once, cached under .cache/bench/ or $HEARTH_BENCH_CACHE) a model with random weights at the shape,',
  '  warms it up, then times a prefill of --prompt random tokens in one call and --gen greedy decode steps.',
  '  --gen 0 times the prefill alone. --second-turn times the first token of a second chat turn with KV reuse',
  '  (--turn2 new tokens fed after a --prompt + --gen first turn) against re-feeding the conversation cold.',
  '  With --json the last stdout line is one JSON object starting with',
  `  ${SPEED_JSON_KEYS.join(', ')} (or ${SECOND_TURN_JSON_KEYS.join(', ')} with --second-turn).`,
  '',
  `  --train fine-tunes the bundled shakespeare-5m with LoRA (r ${TRAINING_BENCHMARK_SETTINGS.r}, alpha ${TRAINING_BENCHMARK_SETTINGS.alpha}, ${TRAINING_BENCHMARK_SETTINGS.targets},`,
  `  lr ${TRAINING_BENCHMARK_SETTINGS.learningRate}) on a generated greeting task for --steps steps, the first ${DEFAULT_TRAINING_WARMUP_STEPS} untimed, and reports`,
  '  training tokens/s: non-padding tokens per second of step time (forward, backward and AdamW update).',
  `  With --json the last stdout line starts with ${TRAIN_JSON_KEYS.join(', ')}.`,
].join('\n');

export const benchCommand: Command = {
  name: 'bench',
  summary: 'measure prefill and decode speed, TTFT and peak memory of one configuration',
  usage: USAGE,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        shape: { type: 'string' },
        dtype: { type: 'string', default: 'fp32' },
        threads: { type: 'string' },
        prompt: { type: 'string', default: '512' },
        gen: { type: 'string', default: '128' },
        attention: { type: 'string', default: 'fused' },
        'int8-kernel': { type: 'string' },
        'prefill-graph': { type: 'boolean', default: false },
        cache: { type: 'string' },
        context: { type: 'string' },
        seed: { type: 'string', default: '1' },
        json: { type: 'boolean', default: false },
        'second-turn': { type: 'boolean', default: false },
        turn2: { type: 'string', default: '32' },
        rebuild: { type: 'boolean', default: false },
        'build-only': { type: 'boolean', default: false },
        train: { type: 'boolean', default: false },
        steps: { type: 'string', default: '60' },
        batch: { type: 'string', default: '8' },
      },
    });
    if (values.train) {
      if (values.shape !== undefined || values['second-turn']) throw new UsageError('--train fine-tunes the bundled shakespeare-5m: give it without --shape or --second-turn');
      return runTrainBench({
        steps: wholeNumber('--steps', values.steps, DEFAULT_TRAINING_WARMUP_STEPS + 1),
        batch: wholeNumber('--batch', values.batch, 1),
        threads: values.threads === undefined ? availableParallelism() : wholeNumber('--threads', values.threads, 1),
        seed: wholeNumber('--seed', values.seed, 0),
        json: values.json,
      });
    }
    if (!values.shape) throw new UsageError('--shape is required: a benchmark shape or a Hugging Face model folder');
    const precision = PrecisionSchema.safeParse(values.dtype);
    if (!precision.success) throw new UsageError(`--dtype must be one of ${PrecisionSchema.options.join(', ')}, not '${values.dtype}'`);
    const attention = AttentionModeSchema.safeParse(values.attention);
    if (!attention.success) throw new UsageError(`--attention must be fused or reference, not '${values.attention}'`);
    if (values['int8-kernel'] !== undefined && precision.data !== 'int8') throw new UsageError(`--int8-kernel is for --dtype int8, not ${precision.data}`);
    const int8Kernel = Int8KernelSchema.safeParse(values['int8-kernel'] ?? 'dynamic');
    if (!int8Kernel.success) throw new UsageError(`--int8-kernel must be dynamic or blockwise, not '${values['int8-kernel']}'`);
    if (values['prefill-graph'] && precision.data !== 'int4') throw new UsageError(`--prefill-graph is for --dtype int4 (an int8 prompt graph beside the int4 one), not ${precision.data}`);
    if (values.cache !== undefined && values.cache !== 'shared-buffer' && values.cache !== 'growing') {
      throw new UsageError(`--cache must be shared-buffer or growing, not '${values.cache}'`);
    }
    const cache = values.cache as KvCacheKind | undefined;
    if (cache === 'shared-buffer' && attention.data === 'reference') {
      throw new UsageError('--cache shared-buffer needs fused attention (reference attention returns a growing present.* cache)');
    }
    const threads = values.threads === undefined ? availableParallelism() : wholeNumber('--threads', values.threads, 1);
    const promptTokens = wholeNumber('--prompt', values.prompt, 1);
    const genTokens = wholeNumber('--gen', values.gen, values['second-turn'] ? 1 : 0);
    const secondTurnTokens = wholeNumber('--turn2', values.turn2, 1);
    const seed = wholeNumber('--seed', values.seed, 0);
    const contextLength = values.context === undefined ? undefined : wholeNumber('--context', values.context, promptTokens + genTokens);

    let source;
    try {
      source = resolveBenchModelSource(values.shape);
    } catch (error) {
      if (error instanceof UnknownBenchShapeError) throw new UsageError(error.message);
      throw error;
    }
    const request: BenchModelRequest = {
      source,
      precision: precision.data,
      attention: attention.data,
      int8Kernel: precision.data === 'int8' ? int8Kernel.data : undefined,
      prefillGraph: values['prefill-graph'],
    };
    const variant = benchBuildVariant(request);
    const precisionLabel = benchPrecisionLabel(request);
    const dir = benchModelDir(benchCacheRoot(), request);
    const label = benchModelLabel(source);

    if (values['build-only']) {
      if (values.rebuild || !(await isBenchModelCurrent(dir, request))) await buildWithProgress(dir, request, label);
      return 0;
    }
    if (values.rebuild || !(await isBenchModelCurrent(dir, request))) {
      // The build runs in a child process: building 0.5B holds gigabytes, and the peak RSS
      // reported here must be the benchmark's alone.
      await buildInChildProcess(args);
      if (!(await isBenchModelCurrent(dir, request))) {
        throw new Error(`The build of ${label} ${precisionLabel} in ${dir} is not current: it failed (see above), or the builder's sources changed meanwhile; run again.`);
      }
    }

    const baselineRssMb = process.memoryUsage().rss / MIB;
    const loadStarted = performance.now();
    const model = await openModel(dir, { threads });
    const loadMs = performance.now() - loadStarted;
    const describe = `${label} ${precisionLabel}, ${attention.data} attention, ${threads} thread${threads === 1 ? '' : 's'}`;
    try {
      const weightBytes = model.manifest.weightBytes;
      const common = {
        shape: label,
        dtype: precision.data,
        int8_kernel: variant.int8Kernel,
        prefill_graph: variant.prefillGraph,
        attention: attention.data,
        threads,
        baseline_rss_mb: round(baselineRssMb),
        load_ms: round(loadMs),
        onnxruntime: ortEnv.versions.node,
      };
      if (values['second-turn']) {
        const meter = startContentionMeter();
        const result = await runSecondTurnBenchmark(model, { firstTurnTokens: promptTokens, replyTokens: genTokens, secondTurnTokens, cache, seed });
        const otherCpuPct = meter.stop();
        const peakRssMb = process.resourceUsage().maxRSS / 1024;
        const json = {
          ttft_reuse_ms: round(result.ttftReuseMs),
          ttft_cold_ms: round(result.ttftColdMs),
          peak_rss_mb: round(peakRssMb),
          weight_bytes: weightBytes,
          first_turn_tokens: promptTokens,
          reply_tokens: genTokens,
          second_turn_tokens: secondTurnTokens,
          conversation_tokens: result.conversationTokens,
          reuse_fed_tokens: result.reuseFedTokens,
          repeats: result.repeats,
          other_cpu_pct: otherCpuPct === null ? null : round(otherCpuPct),
          ...common,
        };
        if (values.json) console.log(JSON.stringify(json));
        else {
          console.log(
            [
              `hearth bench --second-turn: ${describe}`,
              `  first turn: ${promptTokens}-token prompt and a ${genTokens}-token greedy reply; second turn: ${secondTurnTokens} new tokens`,
              `  TTFT with KV reuse: ${fixed(result.ttftReuseMs)} ms (${result.reuseFedTokens} tokens fed after ${result.conversationTokens - result.reuseFedTokens} cached)`,
              `  TTFT cold:          ${fixed(result.ttftColdMs)} ms (all ${result.conversationTokens} tokens fed into a fresh cache, 512 per call)`,
              `  (median of ${result.repeats} runs each, after a warm-up; peak RSS ${fixed(peakRssMb, 0)} MB)`,
              contentionLine(otherCpuPct),
            ].join('\n'),
          );
        }
        return 0;
      }

      const meter = startContentionMeter();
      const result = await runSpeedBenchmark(model, { promptTokens, genTokens, cache, contextLength, seed });
      const otherCpuPct = meter.stop();
      const peakRssMb = process.resourceUsage().maxRSS / 1024;
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
        ...common,
      };
      if (values.json) console.log(JSON.stringify(json));
      else {
        console.log(
          [
            `hearth bench: ${describe}, ${result.cache} KV cache`,
            `  model:    ${displayPath(dir)} (${fixed(weightBytes / MIB)} MB of weights), session opened in ${fixed(loadMs, 0)} ms`,
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
      }
      return 0;
    } finally {
      await model.release();
    }
  },
};

async function runTrainBench(options: { steps: number; batch: number; threads: number; seed: number; json: boolean }): Promise<number> {
  const baselineRssMb = process.memoryUsage().rss / MIB;
  const meter = startContentionMeter();
  const result = await runTrainingBenchmark({ baseDir: TRAIN_BENCH_MODEL_DIR, steps: options.steps, batchSize: options.batch, threads: options.threads, seed: options.seed });
  const otherCpuPct = meter.stop();
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
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

function contentionLine(otherCpuPct: number | null): string {
  if (otherCpuPct === null) return '  other processes: CPU use unknown';
  const warning = otherCpuPct >= 10 ? ' (the machine was busy: figures are low)' : '';
  return `  other processes used ${fixed(otherCpuPct, 0)} % of the CPUs meanwhile${warning}`;
}

/** Inside the repository, relative to it (as .cache/bench/... is documented); elsewhere as given. */
function displayPath(dir: string): string {
  const inside = relative(REPO_ROOT, dir);
  return inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : dir;
}

function wholeNumber(option: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new UsageError(`${option} must be a whole number of at least ${min}, not '${text}'`);
  return value;
}

async function buildWithProgress(dir: string, request: BenchModelRequest, label: string): Promise<void> {
  const what = `${label} ${benchPrecisionLabel(request)} (${request.attention} attention)`;
  console.error(`building ${what} into ${dir}`);
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(0);
  const bar = createProgressBar(`building ${what}`);
  // Without a terminal the bar is silent: print a line per step so a log shows progress.
  const lines = !process.stderr.isTTY;
  try {
    const manifest = await buildBenchModel(dir, request, (done, total, step) => {
      bar.update(done, total, step);
      if (lines) console.error(`  [${done}/${total}] ${step} (${seconds()} s)`);
    });
    bar.stop();
    console.error(`built ${what}: ${fixed(manifest.weightBytes / MIB)} MB of weights in ${seconds()} s`);
  } finally {
    bar.stop();
  }
}

function buildInChildProcess(args: string[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    // stdout of the child goes to our stderr: stdout carries only the result.
    const child = spawn(process.execPath, [HEARTH_BIN, 'bench', ...args, '--build-only'], { stdio: ['ignore', 2, 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`building the benchmark model failed (${signal ? `killed by ${signal}` : `exit status ${code}`})`));
    });
  });
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function fixed(value: number, digits = 1): string {
  return value.toFixed(digits);
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
}
