// hearth bench: the speed and memory of one configuration, on a random-weight model at a real
// model's shape (or a built Hugging Face folder). One configuration per process, because the
// peak RSS reported is this process's peak; `hearth bench-table` runs many of them.
// This file reads the options and picks the mode; each mode is a file under bench/: speed (the
// default), --second-turn, --train, --build-time (how long `hearth build` takes, against llama.cpp)
// and --build-only (which the measuring modes run in a child).
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { AttentionModeSchema, Int8KernelSchema, PrecisionSchema } from '../../common/model-manifest.ts';
import {
  benchBuildVariant,
  benchModelDir,
  benchModelLabel,
  benchPrecisionLabel,
  resolveBenchModelSource,
  UnknownBenchShapeError,
  type BenchModelRequest,
} from '../../engine/bench/bench-model-cache.ts';
import type { KvCacheKind } from '../../engine/runtime/kv-cache.ts';
import { DEFAULT_TRAINING_WARMUP_STEPS, TRAINING_BENCHMARK_SETTINGS } from '../../train/training-benchmark.ts';
import { UsageError, type Command } from '../command.ts';
import { ensureBuiltInChildProcess, runBuildOnlyBench } from './bench/bench-build-mode.ts';
import { BUILD_TIME_JSON_KEYS, runBuildTimeBench } from './bench/bench-build-time-mode.ts';
import { benchCacheRoot } from './bench/bench-locations.ts';
import { runSecondTurnBench, SECOND_TURN_JSON_KEYS } from './bench/bench-second-turn-mode.ts';
import { runSpeedBench, SPEED_JSON_KEYS } from './bench/bench-speed-mode.ts';
import { runStreamsBench, STREAMS_JSON_KEYS } from './bench/bench-streams-mode.ts';
import { runTrainBench, TRAIN_JSON_KEYS } from './bench/bench-train-mode.ts';
import { runTrainShapeBench, TRAIN_SHAPE_JSON_KEYS } from './bench/bench-train-shape-mode.ts';
import { BASE_DTYPE_USAGE, parseBaseDtypeOption } from '../base-dtype-option.ts';
import { openBenchModel } from './bench/opened-bench-model.ts';
import { rerunWithTrainingAllocator } from '../../engine/runtime/training-allocator.ts';

const USAGE = [
  'hearth bench --shape qwen2.5-0.5b|narrow-8k|<hf-dir>|<FILE.gguf> [--dtype fp32|fp16|int8|int4] [--threads N] [--prompt 512] [--gen 128]',
  '             [--int8-kernel dynamic|blockwise] [--prefill-graph | --int8-prompt] [--attention fused|reference] [--cache shared-buffer|growing]',
  '             [--context N] [--seed N] [--json] [--second-turn [--turn2 32]] [--streams N] [--rebuild] [--build-only]',
  'hearth bench --train [--steps 60] [--batch 8] [--threads N] [--seed N] [--json]',
  `hearth bench --train --shape qwen2.5-0.5b|<hf-dir> [${BASE_DTYPE_USAGE}] [--batch 1] [--seq 256] [--steps 3] [--threads N] [--json]`,
  'hearth bench --build-time --shape qwen2.5-0.5b|<hf-dir> [--dtype fp32|fp16|int8|int4] [--json]',
  '',
  '  --int8-kernel (int8 only): dynamic (integer GEMM, the default, for the CPU) or blockwise (MatMulNBits, for the GPU).',
  '  --prefill-graph (int4 only): also build the int8 graph that prompts of 16 tokens or more run on.',
  '  --int8-prompt (int4 only): derive that int8 prompt graph in memory when the model loads instead (nothing on disk).',
  '  A GGUF file is built as downloaded (its own ggml types kept) unless --dtype requantizes it.',
  '  Builds (once, cached under .cache/bench/ or $HEARTH_BENCH_CACHE) a model with random weights at the shape,',
  '  warms it up, then times a prefill of --prompt random tokens in one call and --gen greedy decode steps.',
  '  --gen 0 times the prefill alone. --second-turn times the first token of a second chat turn with KV reuse',
  '  (--turn2 new tokens fed after a --prompt + --gen first turn) against re-feeding the conversation cold.',
  '  With --json the last stdout line is one JSON object starting with',
  `  ${SPEED_JSON_KEYS.join(', ')} (or ${SECOND_TURN_JSON_KEYS.join(', ')} with --second-turn).`,
  '  --streams N runs N generations at once, each a --prompt prefill (untimed) then --gen greedy decode steps, their',
  '  steps batched as the worker batches concurrent requests, and reports the aggregate decode tok/s of all N.',
  `  With --json the last stdout line starts with ${STREAMS_JSON_KEYS.join(', ')}.`,
  '',
  `  --train fine-tunes the bundled shakespeare-5m with LoRA (r ${TRAINING_BENCHMARK_SETTINGS.r}, alpha ${TRAINING_BENCHMARK_SETTINGS.alpha}, ${TRAINING_BENCHMARK_SETTINGS.targets},`,
  `  lr ${TRAINING_BENCHMARK_SETTINGS.learningRate}) on a generated greeting task for --steps steps, the first ${DEFAULT_TRAINING_WARMUP_STEPS} untimed, and reports`,
  '  training tokens/s: non-padding tokens per second of step time (forward, backward and AdamW update).',
  `  With --json the last stdout line starts with ${TRAIN_JSON_KEYS.join(', ')}.`,
  '  --train --shape measures a LoRA job at a model\'s shape instead (random weights, all-linear r 8, --batch rows of --seq random',
  '  tokens, every position scored) over a base at --base-dtype (default fp32): peak RSS and step time, beside the training',
  `  memory plan's figure. With --json the last stdout line starts with ${TRAIN_SHAPE_JSON_KEYS.join(', ')}.`,
  '',
  '  --build-time times `hearth build <hf-dir> --dtype D` in a child process (a shape: random BF16 weights written',
  '  once into the cache) with its peak RSS and output size, then llama.cpp\'s quantizer on an F16 GGUF of the same',
  '  weights (int4: Q4_K_M, Q4_0; int8: Q8_0) where HEARTH_LLAMA_ORACLE names a llama-oracle build directory.',
  `  With --json the last stdout line holds ${BUILD_TIME_JSON_KEYS.join(', ')}.`,
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
        dtype: { type: 'string' },
        threads: { type: 'string' },
        prompt: { type: 'string', default: '512' },
        gen: { type: 'string', default: '128' },
        attention: { type: 'string', default: 'fused' },
        'int8-kernel': { type: 'string' },
        'prefill-graph': { type: 'boolean', default: false },
        'int8-prompt': { type: 'boolean', default: false },
        cache: { type: 'string' },
        context: { type: 'string' },
        seed: { type: 'string', default: '1' },
        json: { type: 'boolean', default: false },
        'second-turn': { type: 'boolean', default: false },
        turn2: { type: 'string', default: '32' },
        streams: { type: 'string' },
        rebuild: { type: 'boolean', default: false },
        'build-only': { type: 'boolean', default: false },
        'build-time': { type: 'boolean', default: false },
        train: { type: 'boolean', default: false },
        'base-dtype': { type: 'string' },
        seq: { type: 'string' },
        steps: { type: 'string' },
        batch: { type: 'string' },
      },
    });
    if (values.train && values.shape !== undefined) {
      if (values['second-turn']) throw new UsageError('--train --shape measures a training job: give it without --second-turn');
      let source;
      try {
        source = resolveBenchModelSource(values.shape);
      } catch (error) {
        if (error instanceof UnknownBenchShapeError) throw new UsageError(error.message);
        throw error;
      }
      const options = {
        source,
        baseDtype: parseBaseDtypeOption(values['base-dtype']) ?? 'fp32',
        batch: wholeNumber('--batch', values.batch ?? '1', 1),
        sequence: values.seq === undefined ? 256 : wholeNumber('--seq', values.seq, 2),
        steps: wholeNumber('--steps', values.steps ?? '3', 1),
        threads: values.threads === undefined ? availableParallelism() : wholeNumber('--threads', values.threads, 1),
        seed: wholeNumber('--seed', values.seed, 0),
        json: values.json,
      };
      // Measured as a job runs: in a process started with the training allocator settings (the
      // options are checked first, so a usage error is reported here, not by the rerun).
      const rerun = rerunWithTrainingAllocator();
      if (rerun !== null) return rerun;
      return runTrainShapeBench(options);
    }
    if (values['base-dtype'] !== undefined || values.seq !== undefined) throw new UsageError('--base-dtype and --seq go with --train --shape');
    if (values.train) {
      if (values.shape !== undefined || values['second-turn']) throw new UsageError('--train fine-tunes the bundled shakespeare-5m: give it without --shape or --second-turn');
      return runTrainBench({
        steps: wholeNumber('--steps', values.steps ?? '60', DEFAULT_TRAINING_WARMUP_STEPS + 1),
        batch: wholeNumber('--batch', values.batch ?? '8', 1),
        threads: values.threads === undefined ? availableParallelism() : wholeNumber('--threads', values.threads, 1),
        seed: wholeNumber('--seed', values.seed, 0),
        json: values.json,
      });
    }
    if (!values.shape) throw new UsageError('--shape is required: a benchmark shape or a Hugging Face model folder');
    const precision = PrecisionSchema.safeParse(values.dtype ?? 'fp32');
    if (!precision.success) throw new UsageError(`--dtype must be one of ${PrecisionSchema.options.join(', ')}, not '${values.dtype}'`);
    const attention = AttentionModeSchema.safeParse(values.attention);
    if (!attention.success) throw new UsageError(`--attention must be fused or reference, not '${values.attention}'`);
    if (values['int8-kernel'] !== undefined && precision.data !== 'int8') throw new UsageError(`--int8-kernel is for --dtype int8, not ${precision.data}`);
    const int8Kernel = Int8KernelSchema.safeParse(values['int8-kernel'] ?? 'dynamic');
    if (!int8Kernel.success) throw new UsageError(`--int8-kernel must be dynamic or blockwise, not '${values['int8-kernel']}'`);
    if (values['prefill-graph'] && precision.data !== 'int4') throw new UsageError(`--prefill-graph is for --dtype int4 (an int8 prompt graph beside the int4 one), not ${precision.data}`);
    if (values['int8-prompt'] && (precision.data !== 'int4' || values['prefill-graph'])) throw new UsageError('--int8-prompt is for --dtype int4 without --prefill-graph (it derives the int8 prompt graph in memory)');
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
    if (values['build-time']) return runBuildTimeBench(source, precision.data, values.json);
    const request: BenchModelRequest = {
      source,
      // A GGUF file without --dtype is measured as downloaded, as hearth run would build it.
      asDownloaded: source.kind === 'gguf' && values.dtype === undefined,
      precision: precision.data,
      attention: attention.data,
      int8Kernel: precision.data === 'int8' ? int8Kernel.data : undefined,
      prefillGraph: values['prefill-graph'],
    };
    const dir = benchModelDir(benchCacheRoot(), request);
    const label = benchModelLabel(source);

    if (values['build-only']) return runBuildOnlyBench(dir, request, label, values.rebuild);
    await ensureBuiltInChildProcess(args, dir, request, label, values.rebuild);

    const opened = await openBenchModel({
      dir,
      label,
      precisionLabel: benchPrecisionLabel(request),
      precision: precision.data,
      attention: attention.data,
      variant: benchBuildVariant(request),
      threads,
      int8PromptGraph: values['int8-prompt'],
    });
    try {
      if (values.streams !== undefined) {
        if (values['second-turn']) throw new UsageError('--streams and --second-turn are separate measurements: give one of them');
        const streams = wholeNumber('--streams', values.streams, 1);
        return await runStreamsBench(opened, { streams, promptTokens, genTokens: Math.max(1, genTokens), seed, json: values.json });
      }
      if (values['second-turn']) return await runSecondTurnBench(opened, { promptTokens, genTokens, secondTurnTokens, cache, seed, json: values.json });
      return await runSpeedBench(opened, { promptTokens, genTokens, cache, contextLength, seed, json: values.json });
    } finally {
      await opened.model.release();
    }
  },
};

function wholeNumber(option: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new UsageError(`${option} must be a whole number of at least ${min}, not '${text}'`);
  return value;
}
