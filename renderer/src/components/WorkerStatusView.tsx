// What the model process is doing, where it runs, and its measured memory beside the estimate.
import { workerStatusText } from '../format/worker-status-text.ts';
import type { WorkerStatus } from '../format/worker-status-text.ts';

export function WorkerStatusView({ status, modelName }: { status: WorkerStatus; modelName: string | null }) {
  const text = workerStatusText(status, modelName);
  return (
    <div className={`worker-status worker-${status.state}`} role="status" aria-label="Model process">
      <span>{text.summary}</span>
      {text.memory && <span>{text.memory}</span>}
      {text.cpuReason && <span className="cpu-reason">{text.cpuReason}</span>}
    </div>
  );
}
