// `hearth bench --build-time --shape S --dtype D`: how long `hearth build <hf-dir> --dtype D`
// takes, its peak RSS and the size of what it writes; then the same for llama.cpp's quantizer on
// an F16 GGUF file of the same weights (int4: Q4_K_M and Q4_0, int8: Q8_0), where
// HEARTH_LLAMA_ORACLE names a directory that the llama-oracle build script built (else
// skipped, with a note saying so). Each build is a child process, run as a person runs it, one
// after the other in this run; its peak RSS is read from /proc (VmHWM) while it runs, so it is
// known on Linux only. A shape's weights are random (engine/bench/random-checkpoint.ts), written
// once into the bench cache as BF16 safetensors, like Qwen2.5's release.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Precision } from '../../../common/model-manifest.ts';
import { openModelSource } from '../../../engine/architectures/model-source.ts';
import type { BenchModelSource } from '../../../engine/bench/bench-model-cache.ts';
import { startContentionMeter } from '../../../engine/bench/cpu-contention.ts';
import { isRandomCheckpointCurrent, writeRandomCheckpoint } from '../../../engine/bench/random-checkpoint.ts';
import { UsageError } from '../../command.ts';
import { contentionLine, fixed, MIB, round } from './bench-figures.ts';
import { benchCacheRoot, HEARTH_BIN } from './bench-locations.ts';

export const BUILD_TIME_JSON_KEYS = ['build_s', 'peak_rss_mb', 'output_mb', 'other_cpu_pct', 'llama', 'llama_note'] as const;

/** llama.cpp's quantization types compared with each of Hearth's precisions (its F16 file is the fp16 counterpart: nothing to build). */
export const LLAMA_TYPES_FOR: Record<Precision, readonly string[]> = { int4: ['q4_k_m', 'q4_0'], int8: ['q8_0'], fp16: [], fp32: [] };

/** One timed build. */
export interface BuildTiming {
  seconds: number;
  /** The build's peak resident memory; null where /proc cannot tell. */
  peakRssMb: number | null;
  /** What it wrote, in MiB. */
  outputMb: number;
  /** Share of all cores that other processes used meanwhile (0-100), or null. */
  otherCpuPct: number | null;
}

export async function runBuildTimeBench(source: BenchModelSource, precision: Precision, json: boolean): Promise<number> {
  if (source.kind === 'gguf') throw new UsageError('--build-time times a build from a Hugging Face folder: give a shape or an HF folder, not a GGUF file');
  const cache = benchCacheRoot();
  const label = source.kind === 'shape' ? source.name : source.dir;
  let hfDir = source.kind === 'hf-dir' ? source.dir : join(cache, `${source.name}-hf-bf16`);
  if (source.kind === 'shape' && !(await isRandomCheckpointCurrent(source.spec, hfDir))) {
    console.error(`writing random BF16 weights at the ${source.name} shape into ${hfDir} (once)`);
    await writeRandomCheckpoint(source.spec, hfDir);
  }
  hfDir = hfDir.replace(/\/$/, '');

  const outDir = join(cache, `build-time-${precision}`);
  await rm(outDir, { recursive: true, force: true });
  console.error(`timing hearth build ${label} --dtype ${precision}`);
  const hearth = await timeBuild(process.execPath, [HEARTH_BIN, 'build', hfDir, '--out', outDir, '--dtype', precision], outDir, process.env);
  await rm(outDir, { recursive: true, force: true });

  const llama: (BuildTiming & { type: string })[] = [];
  let llamaNote: string | null = null;
  const oracle = llamaOracleIn(process.env.HEARTH_LLAMA_ORACLE);
  const types = LLAMA_TYPES_FOR[precision];
  if (typeof oracle === 'string') {
    llamaNote = `llama.cpp skipped: ${oracle}`;
  } else if (types.length === 0) {
    llamaNote = `llama.cpp has nothing to build at ${precision}: its F16 file is the counterpart`;
  } else {
    const gguf = await f16GgufOf(hfDir, join(cache, `${source.kind === 'shape' ? source.name : 'hf'}-f16.gguf`));
    for (const type of types) {
      const out = join(cache, `build-time-${type}.gguf`);
      console.error(`timing llama.cpp quantize ${type}`);
      llama.push({ type, ...(await timeBuild(oracle.binary, ['quantize', gguf, out, type], out, { ...process.env, LLAMA_LIB_DIR: oracle.libDir })) });
      await rm(out, { force: true });
    }
  }

  if (json) {
    console.log(
      JSON.stringify({
        build_s: round(hearth.seconds),
        peak_rss_mb: hearth.peakRssMb === null ? null : round(hearth.peakRssMb),
        output_mb: round(hearth.outputMb),
        other_cpu_pct: hearth.otherCpuPct === null ? null : round(hearth.otherCpuPct),
        llama: llama.map((l) => ({ type: l.type, build_s: round(l.seconds), peak_rss_mb: l.peakRssMb === null ? null : round(l.peakRssMb), output_mb: round(l.outputMb), other_cpu_pct: l.otherCpuPct === null ? null : round(l.otherCpuPct) })),
        llama_note: llamaNote,
      }),
    );
  } else {
    console.log(`hearth build ${label} --dtype ${precision}: ${fixed(hearth.seconds)} s, peak RSS ${hearth.peakRssMb === null ? '?' : fixed(hearth.peakRssMb, 0)} MB, ${fixed(hearth.outputMb)} MB written`);
    console.log(contentionLine(hearth.otherCpuPct));
    for (const l of llama) {
      console.log(`llama.cpp quantize ${l.type}: ${fixed(l.seconds)} s, peak RSS ${l.peakRssMb === null ? '?' : fixed(l.peakRssMb, 0)} MB, ${fixed(l.outputMb)} MB written`);
      console.log(contentionLine(l.otherCpuPct));
    }
    if (llamaNote) console.log(llamaNote);
  }
  return 0;
}

/** The oracle's binary and library folder, or why it cannot be used. */
export function llamaOracleIn(dir: string | undefined): { binary: string; libDir: string } | string {
  if (!dir) return 'set HEARTH_LLAMA_ORACLE to a directory built by the llama-oracle build script (build.sh DIR) to compare with llama.cpp';
  const binary = join(dir, 'llama_oracle');
  if (!existsSync(binary) || !existsSync(join(dir, 'libdir'))) return `HEARTH_LLAMA_ORACLE=${dir} has no llama_oracle and libdir: run the llama-oracle build script (build.sh ${dir})`;
  return { binary, libDir: readFileSync(join(dir, 'libdir'), 'utf8').trim() };
}

/** An F16 GGUF file of the folder's weights, written (again) when missing or older than the weights. */
async function f16GgufOf(hfDir: string, path: string): Promise<string> {
  const weights = join(hfDir, 'model.safetensors');
  if (existsSync(path) && existsSync(weights) && statSync(path).mtimeMs >= statSync(weights).mtimeMs) return path;
  const source = await openModelSource(hfDir);
  const architecture = source.spec.architecture;
  await source.checkpoint.close();
  console.error(`writing an F16 GGUF file of ${hfDir} for llama.cpp into ${path} (once)`);
  // The converter is test support (llama.cpp's convert_hf_to_gguf.py needs Python and torch); loaded only here.
  const { convertHfFolderToGguf } = await import('../../../engine/gguf/test/hf-to-gguf.ts');
  await convertHfFolderToGguf(hfDir, path, architecture as Parameters<typeof convertHfFolderToGguf>[2], { f16: true });
  return path;
}

/** Runs a build as a child process and measures it; `output` is the file or folder it writes. */
async function timeBuild(file: string, args: string[], output: string, env: NodeJS.ProcessEnv): Promise<BuildTiming> {
  let peakKb: number | null = null;
  let cpuMs = 0;
  const meter = startContentionMeter(() => cpuMs);
  const started = performance.now();
  const child = spawn(file, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const poll = setInterval(() => {
    const sample = sampleProcess(child.pid);
    if (sample) {
      peakKb = sample.peakKb;
      cpuMs = sample.cpuMs;
    }
  }, 50);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (exitCode) => resolve(exitCode));
  }).finally(() => clearInterval(poll));
  const seconds = (performance.now() - started) / 1000;
  const otherCpuPct = meter.stop();
  if (code !== 0) throw new Error(`${file} ${args.join(' ')} failed (exit status ${code}):\n${stderr.trim().split('\n').slice(-10).join('\n')}`);
  return { seconds, peakRssMb: peakKb === null ? null : peakKb / 1024, outputMb: (await bytesIn(output)) / MIB, otherCpuPct };
}

/** A running process's peak RSS (VmHWM, kB) and CPU time so far (ms), from /proc; null elsewhere or once it is gone. */
function sampleProcess(pid: number | undefined): { peakKb: number; cpuMs: number } | null {
  if (pid === undefined) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const peak = /^VmHWM:\s+(\d+) kB/m.exec(status);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime (fields 14 and 15 of stat) in clock ticks of 1/100 s.
    const cpuMs = (Number(fields[11]) + Number(fields[12])) * 10;
    return peak ? { peakKb: Number(peak[1]), cpuMs } : null;
  } catch {
    return null;
  }
}

/** Bytes of a file, or of every file under a folder. */
async function bytesIn(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true })) total += await bytesIn(join(path, entry.name));
  return total;
}
