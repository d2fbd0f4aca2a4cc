// hearth bench-table (`npm run bench`): runs a fixed set of `hearth bench` configurations, each
// in a process of its own so every peak RSS belongs to one configuration, and prints one
// markdown table of the results, with the reference figures it does not measure quoted under it,
// each labelled with the machine it was measured on.
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.ts';
import { HEARTH_BIN } from './bench/bench-locations.ts';

export type BenchRowKind = 'speed' | 'second-turn' | 'streams' | 'attention-memory' | 'train' | 'build';

export interface BenchConfiguration {
  /** Names the row in the table; --only matches against it. */
  label: string;
  kind: BenchRowKind;
  /** Arguments of `hearth bench` (--json is added). */
  args: string[];
}

export interface BenchOutcome {
  config: BenchConfiguration;
  /** The child's JSON line, or null when it failed. */
  result: Record<string, unknown> | null;
  /** Why there is no result. */
  failure?: string;
}

/**
 * A figure this command does not measure but prints for comparison, with where it was measured:
 * the table's own rows are measured on the CPU running the command, which may be another one.
 */
export interface QuotedReference {
  /** What ran and what it reached. */
  figures: string;
  /** The machine the figures come from. */
  measuredOn: string;
  /** Where they are quoted from. */
  source: string;
}

/** The machine the goals were set on (a cloud slice; the CPU model and its features are what the figures depend on). */
const GOAL_MACHINE = '2 vCPUs of an Intel Xeon server processor with AVX-512 VNNI and AMX, November 2026';

export const LLAMA_CPP_REFERENCE: QuotedReference = {
  figures: 'llama.cpp Q4_0 at the Qwen2.5-0.5B shape, 2 threads: prefill 856 tok/s, decode 45 tok/s',
  measuredOn: GOAL_MACHINE,
  source: 'the issue that set the speed goal',
};

export const PYTORCH_PEFT_REFERENCE: QuotedReference = {
  figures: 'PyTorch 2.13 + PEFT LoRA (r 8, alpha 16, all linear layers, batch 8, about 35 tokens a row), 2 threads: 300 steps in 17.7 s, about 4,300 training tok/s',
  measuredOn: GOAL_MACHINE,
  source: 'the issue that set the training goal',
};

/** "quoted, not measured here: … (measured on …, from …)". */
export function quotedReferenceText(reference: QuotedReference): string {
  return `quoted, not measured here: ${reference.figures} (measured on ${reference.measuredOn}; from ${reference.source})`;
}

const QWEN = 'qwen2.5-0.5b';
const NARROW = 'narrow-8k';
/** A run that takes longer than this is stopped and its row marked as failed. */
const CHILD_TIMEOUT_MS = 30 * 60 * 1000;

/** The 0.5B speed rows: each precision as the CPU runs it best, and int4 with its int8 prefill graph. */
const SPEED_VARIANTS: readonly { label: string; args: string[] }[] = [
  { label: 'fp32', args: ['--dtype', 'fp32'] },
  { label: 'int8 (dynamic)', args: ['--dtype', 'int8', '--int8-kernel', 'dynamic'] },
  { label: 'int4', args: ['--dtype', 'int4'] },
  { label: 'int4 + int8 prefill graph', args: ['--dtype', 'int4', '--prefill-graph'] },
];
const QUICK_SPEED_VARIANTS = SPEED_VARIANTS.filter((v) => v.label === 'int4');
/** Precisions of the build rows (`hearth bench --build-time`), each beside llama.cpp's nearest types. */
const BUILD_PRECISIONS = ['int4', 'int8', 'fp16'];
/** Training steps of the LoRA row, the 2 untimed warm-up steps included: a few seconds on 2 threads. */
const TRAIN_STEPS = 60;

export function benchConfigurations(quick: boolean): BenchConfiguration[] {
  const configs: BenchConfiguration[] = [];
  const prompt = quick ? 128 : 512;
  const gen = quick ? 16 : 128;
  const variants = quick ? QUICK_SPEED_VARIANTS : SPEED_VARIANTS;
  const threads = quick ? [2] : [1, 2];
  for (const variant of variants) {
    for (const t of threads) {
      configs.push({
        label: `${QWEN} ${variant.label}, ${t} thread${t === 1 ? '' : 's'}, prompt ${prompt}, gen ${gen}`,
        kind: 'speed',
        args: ['--shape', QWEN, ...variant.args, '--threads', String(t), '--prompt', String(prompt), '--gen', String(gen)],
      });
    }
  }
  const reply = quick ? 8 : 32;
  const turn2 = quick ? 16 : 32;
  configs.push({
    label: `second turn: ${QWEN} int4, 2 threads, ${prompt}-token first turn + ${reply}-token reply, ${turn2} new tokens`,
    kind: 'second-turn',
    args: ['--second-turn', '--shape', QWEN, '--dtype', 'int4', '--threads', '2', '--prompt', String(prompt), '--gen', String(reply), '--turn2', String(turn2)],
  });
  const streamPrompt = quick ? 32 : 128;
  const streamGen = quick ? 16 : 64;
  for (const streams of [1, 2, 4]) {
    configs.push({
      label: `concurrent streams: ${QWEN} int4, 2 threads, ${streams} stream${streams === 1 ? '' : 's'} at once, prompt ${streamPrompt}, gen ${streamGen} each`,
      kind: 'streams',
      args: ['--streams', String(streams), '--shape', QWEN, '--dtype', 'int4', '--threads', '2', '--prompt', String(streamPrompt), '--gen', String(streamGen)],
    });
  }
  for (const tokens of quick ? [2048] : [2048, 4096, 8192]) {
    for (const attention of ['fused', 'reference']) {
      configs.push({
        label: `attention memory: ${NARROW} fp32, ${attention} attention, ${tokens / 1024}k-token prefill`,
        kind: 'attention-memory',
        args: ['--shape', NARROW, '--dtype', 'fp32', '--attention', attention, '--threads', '2', '--prompt', String(tokens), '--gen', '0'],
      });
    }
  }
  configs.push({
    label: `LoRA training: shakespeare-5m, r 8, all-linear, batch 8, 2 threads, ${TRAIN_STEPS} steps`,
    kind: 'train',
    args: ['--train', '--threads', '2', '--steps', String(TRAIN_STEPS), '--batch', '8'],
  });
  for (const dtype of quick ? ['int4'] : BUILD_PRECISIONS) {
    configs.push({
      label: `build: ${QWEN} ${dtype}`,
      kind: 'build',
      args: ['--build-time', '--shape', QWEN, '--dtype', dtype],
    });
  }
  return configs;
}

export const benchTableCommand: Command = {
  name: 'bench-table',
  summary: 'run the benchmark configurations and print one markdown table (npm run bench)',
  usage: 'hearth bench-table [--quick] [--only SUBSTRING]\n\n  --quick runs fewer configurations with shorter prompts; --only keeps the rows whose label contains SUBSTRING.',
  async run(args) {
    const { values } = parseArgs({ args, options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
    const only = values.only?.toLowerCase();
    const configs = benchConfigurations(values.quick).filter((c) => !only || c.label.toLowerCase().includes(only));
    if (configs.length === 0) throw new UsageError(`no configuration matches --only '${values.only}'`);

    const started = performance.now();
    const outcomes: BenchOutcome[] = [];
    for (const [i, config] of configs.entries()) {
      console.error(`[${i + 1}/${configs.length}] ${config.label} (${((performance.now() - started) / 1000).toFixed(0)} s so far)`);
      outcomes.push(await runConfiguration(config));
    }
    const builds = outcomes.filter((o) => o.config.kind === 'build');
    const others = outcomes.filter((o) => o.config.kind !== 'build');
    if (others.length > 0) console.log(formatBenchTable(others));
    if (builds.length > 0) {
      if (others.length > 0) console.log('');
      console.log(formatBuildTable(builds));
    }
    console.log('');
    console.log(benchNotes(outcomes, (performance.now() - started) / 1000).join('\n'));
    return outcomes.every((o) => o.result) ? 0 : 1;
  },
};

/** Runs `hearth bench … --json` in a child process and reads its last stdout line. */
function runConfiguration(config: BenchConfiguration): Promise<BenchOutcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HEARTH_BIN, 'bench', ...config.args, '--json'], { stdio: ['ignore', 'pipe', 'inherit'], timeout: CHILD_TIMEOUT_MS });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    child.on('error', (error) => resolve({ config, result: null, failure: error.message }));
    child.on('close', (code, signal) => {
      if (code !== 0) {
        const why = signal ? `killed by ${signal}${signal === 'SIGKILL' ? ', likely out of memory' : ''}` : `exit status ${code}`;
        resolve({ config, result: null, failure: `the run failed (${why})` });
        return;
      }
      const last = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve({ config, result: JSON.parse(last) as Record<string, unknown> });
      } catch {
        resolve({ config, result: null, failure: `the run printed no JSON line (last line: '${last.slice(0, 80)}')` });
      }
    });
  });
}

const COLUMNS = ['configuration', 'prefill tok/s', 'decode tok/s', 'train tok/s (ms a step)', 'TTFT ms', 'peak RSS MB', 'weights MB', 'planned MB (error)', 'other CPU %'];

export function formatBenchTable(outcomes: readonly BenchOutcome[]): string {
  const rows: string[][] = [];
  for (const { config, result, failure } of outcomes) {
    if (!result) {
      rows.push([config.label, `skipped: ${failure ?? 'no result'}`, ...COLUMNS.slice(2).map(() => '–')]);
      continue;
    }
    const rss = num(result.peak_rss_mb, 0);
    const busy = num(result.other_cpu_pct, 0);
    const weights = typeof result.weight_bytes === 'number' ? (result.weight_bytes / (1024 * 1024)).toFixed(1) : '–';
    if (config.kind === 'second-turn') {
      const fed = result.reuse_fed_tokens;
      const total = result.conversation_tokens;
      rows.push([`${config.label}: **KV reuse** (${fed} tokens fed)`, '–', '–', '–', num(result.ttft_reuse_ms, 1), rss, weights, '–', busy]);
      rows.push([`${config.label}: **cold** (all ${total} tokens fed)`, '–', '–', '–', num(result.ttft_cold_ms, 1), rss, weights, '–', busy]);
      continue;
    }
    if (config.kind === 'streams') {
      const perStream = Array.isArray(result.per_stream_tok_s) ? (result.per_stream_tok_s as unknown[]).map((v) => num(v, 1)).join(', ') : '–';
      rows.push([`${config.label}: **aggregate** decode (per stream ${perStream})`, '–', num(result.decode_tok_s, 1), '–', '–', rss, weights, '–', busy]);
      continue;
    }
    if (config.kind === 'train') {
      const label = `${config.label} (${num(result.tokens_per_row, 1)} tokens a row; graph build ${num(result.build_ms, 0)} ms)`;
      rows.push([label, '–', '–', `${num(result.train_tok_s, 0)} (${num(result.step_ms, 1)})`, '–', rss, '–', '–', busy]);
      continue;
    }
    const planned = typeof result.planned_mb === 'number' ? `${result.planned_mb.toFixed(0)} (${signedPct(result.planned_error_pct)})` : '–';
    rows.push([config.label, num(result.prefill_tok_s, 1), num(result.decode_tok_s, 1), '–', num(result.ttft_ms, 1), rss, weights, planned, busy]);
  }
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(COLUMNS), line(COLUMNS.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

export function benchNotes(outcomes: readonly BenchOutcome[], seconds: number): string[] {
  const baselines = outcomes.map((o) => o.result?.baseline_rss_mb).filter((v): v is number => typeof v === 'number');
  const ort = outcomes.map((o) => o.result?.onnxruntime).find((v) => typeof v === 'string');
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return [
    `Every row above: measured on ${cpu} (${cpus().length} logical CPUs), Node ${process.versions.node}, onnxruntime-node ${ort ?? '?'}, ${new Date().toISOString().slice(0, 10)}; ${seconds.toFixed(0)} s in all.`,
    `- Reference, ${quotedReferenceText(LLAMA_CPP_REFERENCE)}.`,
    `- Training reference, ${quotedReferenceText(PYTORCH_PEFT_REFERENCE)}.`,
    '- Compare the rows with a quoted figure only where the CPUs match: both depend on the CPU model, its features and how busy it was.',
    '',
    '- Random weights at the named shape. Each row is one process (`hearth bench … --json`) after one warm-up (a 16-token prefill and one decode step), which is not part of the figures.',
    '- Prefill: the whole prompt in one call, logits of the last position only. Decode: greedy steps of one token through the KV cache (shared-buffer for fused attention, growing for reference), end-of-sequence ignored. TTFT: the prefill call plus picking the first token.',
    `- Peak RSS is the process peak (maxRSS), so it includes Node, tsx and onnxruntime: ${baselines.length ? `${Math.min(...baselines).toFixed(0)}-${Math.max(...baselines).toFixed(0)} MB` : '?'} before the model was opened. MB = 2^20 bytes.`,
    '- Planned: the memory planner (planMemory) for the same configuration (precision, int8 kernel, prefill graph, attention) and context, with the prefill chunk set to the prompt: runtime baseline + weights as loaded + KV cache + workspace; error = (planned - peak RSS) / peak RSS.',
    '- LoRA training: `hearth bench --train`, a real fine-tuning run (as `hearth finetune` runs it) of the bundled shakespeare-5m (lr 2e-3, alpha 16) on a generated "Greet X." → "Good morrow, X!" chat task. Train tok/s counts non-padding tokens (prompt and answer) per second of step time (forward, backward and the AdamW update), over the steps after the first 2 (warm-up), as the PyTorch figure counts them; graph build: model opened, data tokenized, training and evaluation graphs written and their sessions opened.',
    '- Concurrent streams: `hearth bench --streams N`, N generations at once through one BatchedDecoder, as the worker serves concurrent requests: each prefills its own random prompt (untimed), then all decode greedily together; the decode steps that arrive together run as one batched model call. Decode tok/s is the aggregate, all streams\' steps over the wall time.',
    '- Second turn: median of 3; cold feeds the whole conversation into a fresh cache 512 tokens per call, as generate() does.',
    '- Build: `hearth build <hf-dir> --dtype D` from random BF16 safetensors at the shape (written once into the cache), in a child process, start to exit; then llama.cpp\'s quantizer (`llama_oracle quantize`, 2 threads) from an F16 GGUF file of the same weights, in the same run, where HEARTH_LLAMA_ORACLE names a llama-oracle build directory. Peak RSS from /proc (VmHWM); output MB: the built folder, or the GGUF file.',
    '- Other CPU %: the share of all cores that other processes used during the row (from /proc/stat). Above about 10 % the row is slowed by other work on the machine: rerun it with --only.',
  ];
}

const BUILD_COLUMNS = ['build', 'seconds', 'peak RSS MB', 'output MB', 'other CPU %'];

/** The build rows (`hearth bench --build-time`): Hearth's build, then llama.cpp's quantizer on the same weights, or why it did not run. */
export function formatBuildTable(outcomes: readonly BenchOutcome[]): string {
  const rows: string[][] = [];
  for (const { config, result, failure } of outcomes) {
    if (!result) {
      rows.push([config.label, `skipped: ${failure ?? 'no result'}`, '–', '–', '–']);
      continue;
    }
    rows.push([`${config.label}: hearth build`, num(result.build_s, 1), num(result.peak_rss_mb, 0), num(result.output_mb, 1), num(result.other_cpu_pct, 0)]);
    const llama = Array.isArray(result.llama) ? (result.llama as Record<string, unknown>[]) : [];
    for (const entry of llama) {
      rows.push([`${config.label}: llama.cpp ${String(entry.type).toUpperCase()}`, num(entry.build_s, 1), num(entry.peak_rss_mb, 0), num(entry.output_mb, 1), num(entry.other_cpu_pct, 0)]);
    }
    if (typeof result.llama_note === 'string') rows.push([`${config.label}: ${result.llama_note}`, '–', '–', '–', '–']);
  }
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(BUILD_COLUMNS), line(BUILD_COLUMNS.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

function num(value: unknown, digits: number): string {
  return typeof value === 'number' ? value.toFixed(digits) : '–';
}

function signedPct(value: unknown): string {
  if (typeof value !== 'number') return '?';
  return `${value >= 0 ? '+' : ''}${value.toFixed(0)} %`;
}
