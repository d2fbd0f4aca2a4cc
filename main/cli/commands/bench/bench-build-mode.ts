// `hearth bench --build-only`: builds the benchmark model of a configuration into the cache,
// with progress on stderr. The measuring modes run it in a child process when the cached build
// is missing or stale: building 0.5B holds gigabytes, and the peak RSS they report must be the
// benchmark's alone.
import { spawn } from 'node:child_process';
import { benchPrecisionLabel, buildBenchModel, isBenchModelCurrent, type BenchModelRequest } from '../../../engine/bench/bench-model-cache.ts';
import { createProgressBar } from '../../progress-bar.ts';
import { fixed, MIB } from './bench-figures.ts';
import { HEARTH_BIN } from './bench-locations.ts';

export async function runBuildOnlyBench(dir: string, request: BenchModelRequest, label: string, rebuild: boolean): Promise<number> {
  if (rebuild || !(await isBenchModelCurrent(dir, request))) await buildWithProgress(dir, request, label);
  return 0;
}

/** Builds in a child process (`hearth bench <args> --build-only`) unless the cached build is current. */
export async function ensureBuiltInChildProcess(args: string[], dir: string, request: BenchModelRequest, label: string, rebuild: boolean): Promise<void> {
  if (!rebuild && (await isBenchModelCurrent(dir, request))) return;
  await buildInChildProcess(args);
  if (!(await isBenchModelCurrent(dir, request))) {
    throw new Error(`The build of ${label} ${benchPrecisionLabel(request)} in ${dir} is not current: it failed (see above), or the builder's sources changed meanwhile; run again.`);
  }
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
