// What the model process is doing, where it runs, and its measured memory beside the estimate;
// with a model loaded, Unload ends the process and gives that memory back (the next message
// loads the model again). It is disabled while the model loads or writes a reply.
import { workerStatusText } from '../format/worker-status-text.ts';
import type { WorkerStatus } from '../format/worker-status-text.ts';

export interface WorkerStatusViewProps {
  status: WorkerStatus;
  modelName: string | null;
  unloading: boolean;
  onUnload: () => void;
}

export function WorkerStatusView({ status, modelName, unloading, onUnload }: WorkerStatusViewProps) {
  const text = workerStatusText(status, modelName);
  const working = status.state === 'loading' || status.state === 'busy';
  return (
    <div className="worker-status-bar">
      <div className={`worker-status worker-${status.state}`} role="status" aria-label="Model process">
        <span>{text.summary}</span>
        {text.memory && <span>{text.memory}</span>}
        {text.cpuReason && <span className="cpu-reason">{text.cpuReason}</span>}
      </div>
      {status.modelId !== null && (
        <button
          type="button"
          disabled={unloading || working}
          title={working ? 'Wait for the reply to finish, or stop it, to unload the model.' : 'Free the memory the model uses; the next message loads it again.'}
          onClick={onUnload}
        >
          {unloading ? 'Unloading…' : 'Unload'}
        </button>
      )}
    </div>
  );
}
