// Whether onnxruntime's WebGPU provider starts, asked in a process of its own: loading Dawn and
// a GPU driver can crash or hang, and in the main process that would take the app down. The probe
// (main/worker/webgpu-probe-main.ts) posts one validated message; a process that crashes, hangs
// past the timeout (it is then killed), cannot start or answers nonsense gives an unavailable
// status saying so, never an exception.
import type { WebGpuStatus } from '../common/hardware-contract.ts';
import type { WorkerExit, WorkerHandle, WorkerLauncher } from '../worker/worker-launcher.ts';
import { WebGpuProbeReplySchema } from '../worker/webgpu-probe-protocol.ts';

/**
 * Start-up of the probe's process (Node or tsx, then onnxruntime) plus the provider's own start.
 * The probe inside gives up on a provider that does not start within 15 s (WEBGPU_PROBE_TIMEOUT_MS)
 * and says so; this limit is for a process that stops answering altogether.
 */
export const WEBGPU_PROBE_PROCESS_TIMEOUT_MS = 30_000;

export interface WebGpuProbeProcessOptions {
  timeoutMs?: number;
}

function unavailable(why: string): WebGpuStatus {
  return { available: false, error: `WebGPU unavailable: ${why}` };
}

function describeExit(exit: WorkerExit): string {
  if (exit.signal !== null) return `signal ${exit.signal}`;
  return `exit code ${exit.code ?? 'unknown'}`;
}

export function probeWebGpuInProcess(launcher: WorkerLauncher, options: WebGpuProbeProcessOptions = {}): Promise<WebGpuStatus> {
  const timeoutMs = options.timeoutMs ?? WEBGPU_PROBE_PROCESS_TIMEOUT_MS;
  return new Promise((resolve) => {
    let handle: WorkerHandle;
    try {
      handle = launcher.launch('webgpu-probe');
    } catch (error) {
      resolve(unavailable(`the probe process could not start (${error instanceof Error ? error.message : String(error)}).`));
      return;
    }
    let settled = false;
    const finish = (status: WebGpuStatus) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // The probe waits to be ended once it has answered; a hung one is ended here too.
      handle.kill();
      resolve(status);
    };
    const timer = setTimeout(
      () => finish(unavailable(`the probe timed out: its process gave no answer within ${timeoutMs} ms and was killed (a GPU driver that hangs while starting).`)),
      timeoutMs,
    );
    handle.onMessage((message) => {
      const reply = WebGpuProbeReplySchema.safeParse(message);
      if (reply.success) finish(reply.data.status);
      else finish(unavailable(`the probe process answered with a message Hearth does not understand (${reply.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; ')}).`));
    });
    handle.onExit((exit) => {
      if (exit.startError !== undefined) finish(unavailable(`the probe process could not start (${exit.startError}).`));
      else finish(unavailable(`the probe crashed: its process ended (${describeExit(exit)}) before answering, as a failing GPU driver does.`));
    });
  });
}
