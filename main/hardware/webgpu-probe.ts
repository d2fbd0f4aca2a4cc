// Whether onnxruntime's WebGPU execution provider starts on this machine: a GPU that is listed
// but cannot be used (no Vulkan loader, a blocklisted driver) must not be planned for. It builds
// a one-node Add graph and opens it with only the WebGPU provider and CPU fallback disabled, so a
// provider that cannot start fails here, loudly, with onnxruntime's own message.
//
// It runs in the process that calls it. The app calls it only inside a process of its own
// (main/worker/webgpu-probe-main.ts, started by main/services/webgpu-probe-process.ts), because a
// GPU driver may crash or hang in there instead of failing with an exception. A timeout here
// answers for a provider that does not start; the process's own timeout kills a hung one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebGpuStatus } from '../common/hardware-contract.ts';
import { GraphBuilder } from '../engine/onnx/graph-builder.ts';
import { DataType } from '../engine/onnx/graph.ts';

export const WEBGPU_PROBE_TIMEOUT_MS = 15_000;

export interface WebGpuProbeOptions {
  timeoutMs?: number;
}

/** Writes y = a + b (float32 [1]) into a fresh temporary folder and returns the graph's path. */
function writeAddGraph(dir: string): string {
  const g = new GraphBuilder({ dir, graphName: 'webgpu_probe' });
  const a = g.input('a', DataType.FLOAT, [1]);
  const b = g.input('b', DataType.FLOAT, [1]);
  g.output('y', DataType.FLOAT, [1], g.op('Add', [a, b]));
  return g.finish().graphPath;
}

async function openWithWebGpuOnly(graphPath: string): Promise<WebGpuStatus> {
  const { InferenceSession } = await import('onnxruntime-node');
  const session = await InferenceSession.create(graphPath, {
    executionProviders: ['webgpu'],
    // Without this, onnxruntime quietly runs the graph on the CPU when WebGPU cannot take it.
    extra: { session: { disable_cpu_ep_fallback: '1' } },
    logSeverityLevel: 3,
  });
  await session.release();
  return { available: true };
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.trim() || `${error instanceof Error ? error.name : 'error'} with no message`;
}

export async function probeWebGpu(options: WebGpuProbeOptions = {}): Promise<WebGpuStatus> {
  const timeoutMs = options.timeoutMs ?? WEBGPU_PROBE_TIMEOUT_MS;
  let dir: string | null = null;
  let timer: NodeJS.Timeout | undefined;
  try {
    dir = mkdtempSync(join(tmpdir(), 'hearth-webgpu-probe-'));
    const timeout = new Promise<WebGpuStatus>((resolve) => {
      timer = setTimeout(
        () => resolve({ available: false, error: `the WebGPU provider did not start within ${timeoutMs} ms` }),
        timeoutMs,
      );
    });
    return await Promise.race([openWithWebGpuOnly(writeAddGraph(dir)), timeout]);
  } catch (error) {
    return { available: false, error: describe(error) };
  } finally {
    clearTimeout(timer);
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  }
}
