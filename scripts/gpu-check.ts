// The engine's GPU check (run on a lent NVIDIA machine through the WebGPU provider; see
// ../shared/device/README.md). Bundled into one file with `node scripts/gpu-check-bundle.mjs`,
// run there as `$NODE .gpu-carry/gpu-check.cjs`, results written to $OUT/gpu-check.json:
// - what detectHardware() reports on a real GPU machine;
// - the demo model: fp16 on WebGPU against fp32 on the CPU (logits and greedy tokens);
// - Qwen2.5-0.5B's shape with random weights: last-position logits fp16 WebGPU vs fp32 CPU,
//   and prefill/decode speed with the KV cache kept on the GPU against the CPU.
// Then every figure is held to its limit (scripts/gpu-check-limits.ts): each one exceeded is
// printed and written to the results as `failures`, and the exit status is 1.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { buildFromSource, buildModel } from '../main/engine/builder/build-model.ts';
import { QWEN25_05B } from '../main/engine/bench/reference-model-shapes.ts';
import { randomWeightSource } from '../main/engine/bench/random-weights.ts';
import { runSpeedBenchmark } from '../main/engine/bench/speed-benchmark.ts';
import { CachedSequence } from '../main/engine/runtime/cached-sequence.ts';
import { openModel, type LoadedModel } from '../main/engine/runtime/model-session.ts';
import { detectHardware } from '../main/hardware/detect-hardware.ts';
import { probeWebGpuInProcess } from '../main/services/webgpu-probe-process.ts';
import { NodeWorkerLauncher } from '../main/worker/node-worker-launcher.ts';
import { gpuCheckFailures } from './gpu-check-limits.ts';
import type { Precision } from '../main/common/model-manifest.ts';

const out = process.env.OUT ?? '/tmp/gpu-check-out';
const work = process.env.GPU_CHECK_WORK ?? '/tmp/gpu-check-work';
const results: Record<string, unknown> = {};
const save = async () => writeFile(join(out, 'gpu-check.json'), JSON.stringify(results, null, 2));

function step<T>(name: string, run: () => Promise<T>): Promise<T | undefined> {
  const started = performance.now();
  return run().then(
    (value) => {
      results[name] = value;
      console.log(name, ((performance.now() - started) / 1000).toFixed(1) + 's', JSON.stringify(value).slice(0, 400));
      return value;
    },
    (error: Error) => {
      results[name] = { error: error.message };
      console.log(name, 'FAILED', error.message.slice(0, 400));
      return undefined;
    },
  );
}

async function lastLogits(model: LoadedModel, ids: number[]): Promise<Float32Array> {
  const sequence = new CachedSequence(model, { contextLength: ids.length + 8 });
  try {
    return Float32Array.from(await sequence.feed(ids, 'last'));
  } finally {
    sequence.dispose();
  }
}

async function greedy(model: LoadedModel, prompt: number[], count: number): Promise<number[]> {
  const sequence = new CachedSequence(model, { contextLength: prompt.length + count + 1 });
  try {
    let logits = await sequence.feed(prompt, 'last');
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      let best = 0;
      for (let v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
      ids.push(best);
      logits = await sequence.feed([best], 'last');
    }
    return ids;
  } finally {
    sequence.dispose();
  }
}

function compare(a: Float32Array, b: Float32Array): { maxAbsDiff: number; maxAbsLogit: number; maxRelativeDiff: number; argmaxEqual: boolean } {
  let maxAbsDiff = 0;
  let maxAbsLogit = 0;
  let argA = 0;
  let argB = 0;
  for (let i = 0; i < a.length; i++) {
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[i] - b[i]));
    maxAbsLogit = Math.max(maxAbsLogit, Math.abs(b[i]));
    if (a[i] > a[argA]) argA = i;
    if (b[i] > b[argB]) argB = i;
  }
  return { maxAbsDiff, maxAbsLogit, maxRelativeDiff: maxAbsDiff / maxAbsLogit, argmaxEqual: argA === argB };
}

async function main(): Promise<void> {
  await mkdir(out, { recursive: true });
  await mkdir(work, { recursive: true });
  const threads = cpus().length;
  await step('hardware', () => detectHardware({ probeWebGpu: () => probeWebGpuInProcess(new NodeWorkerLauncher()) }));
  await save();

  // The trained demo model: the same prompt on both providers.
  const demo = 'resources/models/shakespeare-5m';
  const prompt = Array.from({ length: 48 }, (_, i) => (i * 37 + 11) % 1000);
  await step('demo-build', async () => {
    for (const precision of ['fp32', 'fp16'] as Precision[]) await buildModel(demo, join(work, `demo-${precision}`), { precision });
    return 'ok';
  });
  await step('demo-fp16-webgpu-vs-fp32-cpu', async () => {
    const cpu = await openModel(join(work, 'demo-fp32'), { threads });
    const gpu = await openModel(join(work, 'demo-fp16'), { executionProvider: 'webgpu' });
    const logits = compare(await lastLogits(gpu, prompt), await lastLogits(cpu, prompt));
    const cpuIds = await greedy(cpu, prompt, 32);
    const gpuIds = await greedy(gpu, prompt, 32);
    const sameUntil = cpuIds.findIndex((id, i) => id !== gpuIds[i]);
    await cpu.release();
    await gpu.release();
    return { ...logits, greedyTokens: 32, greedyIdenticalPrefix: sameUntil === -1 ? 32 : sameUntil };
  });
  await save();

  // Qwen2.5-0.5B's shape, random weights.
  await step('qwen-build', async () => {
    for (const precision of ['fp32', 'fp16'] as Precision[]) {
      await buildFromSource(randomWeightSource(QWEN25_05B), join(work, `qwen-${precision}`), { precision });
    }
    return 'ok';
  });
  const qwenPrompt = Array.from({ length: 512 }, (_, i) => (i * 7919 + 13) % QWEN25_05B.vocabSize);
  await step('qwen-fp16-webgpu-vs-fp32-cpu', async () => {
    const cpu = await openModel(join(work, 'qwen-fp32'), { threads });
    const gpu = await openModel(join(work, 'qwen-fp16'), { executionProvider: 'webgpu' });
    const result = compare(await lastLogits(gpu, qwenPrompt), await lastLogits(cpu, qwenPrompt));
    await cpu.release();
    await gpu.release();
    return result;
  });
  await save();
  for (const [label, dir, provider] of [
    ['qwen-fp16-webgpu-speed', 'qwen-fp16', 'webgpu'],
    ['qwen-fp32-cpu-speed', 'qwen-fp32', 'cpu'],
  ] as const) {
    await step(label, async () => {
      const model = await openModel(join(work, dir), provider === 'webgpu' ? { executionProvider: 'webgpu' } : { threads });
      try {
        const speed = await runSpeedBenchmark(model, { promptTokens: 512, genTokens: 128 });
        return { threads: provider === 'cpu' ? threads : null, kvLocation: model.kvLocation, ...speed };
      } finally {
        await model.release();
      }
    });
    await save();
  }
}

async function judge(): Promise<void> {
  const failures = gpuCheckFailures(results);
  results.failures = failures;
  await save();
  for (const failure of failures) console.log('LIMIT EXCEEDED', failure);
  console.log(failures.length === 0 ? 'gpu-check: every figure within its limit' : `gpu-check: ${failures.length} failure(s)`);
  if (failures.length > 0) process.exitCode = 1;
}

main().then(judge, async (error: Error) => {
  results.fatal = error.stack ?? error.message;
  await judge();
});
