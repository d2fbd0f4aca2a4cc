// What the top bar says about the model process: what is loaded, where it runs, and its measured
// memory next to the plan's estimate. Whenever it runs on the CPU it says why — never quietly.
import type { ApiEvent } from '../../../main/common/contracts/events.ts';
import { formatBytes } from './format-bytes.ts';

export type WorkerStatus = Extract<ApiEvent, { type: 'worker.status' }>;

export interface WorkerStatusText {
  /** One line: the state and the loaded variant. */
  summary: string;
  /** "uses 14 MB (estimated 12 MB)"; null when nothing is loaded. */
  memory: string | null;
  /** Set whenever the model runs on the CPU. */
  cpuReason: string | null;
}

function memoryText(status: WorkerStatus): string | null {
  if (status.memoryBytes === null && status.estimatedBytes === null) return null;
  const measured = status.memoryBytes === null ? 'memory not measured yet' : `uses ${formatBytes(status.memoryBytes)}`;
  const estimate = status.estimatedBytes === null ? 'no estimate' : `estimated ${formatBytes(status.estimatedBytes)}`;
  return `${measured} (${estimate})`;
}

export function workerStatusText(status: WorkerStatus, modelName: string | null): WorkerStatusText {
  const variant = [modelName ?? status.modelId, status.precision].filter(Boolean).join(' ');
  const where = status.device === 'gpu' ? 'on the GPU' : status.device === 'cpu' ? 'on the CPU' : '';
  let summary: string;
  switch (status.state) {
    case 'idle':
      summary = variant ? `${variant} loaded ${where}`.trim() : 'No model loaded';
      break;
    case 'loading':
      summary = `Loading ${variant || 'the model'}…`;
      break;
    case 'ready':
      summary = `${variant} ready ${where}`.trim();
      break;
    case 'busy':
      summary = `${variant} generating ${where}`.trim();
      break;
    case 'crashed':
      summary = 'The model process stopped unexpectedly';
      break;
    case 'restarting':
      summary = 'The model process is restarting…';
      break;
  }
  if (status.message) summary += `: ${status.message}`;
  const loaded = status.state === 'ready' || status.state === 'busy' || (status.state === 'idle' && Boolean(variant));
  const cpuReason = status.device === 'cpu' ? `Runs on the CPU: ${status.cpuReason ?? 'the reason was not reported'}` : null;
  return { summary, memory: loaded ? memoryText(status) : null, cpuReason };
}
