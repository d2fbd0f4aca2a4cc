// The model process as the top bar shows it: its status (what is loaded, where, and its measured
// memory), kept current by the event stream, and unloading the model to give that memory back.
import { useCallback, useEffect, useState } from 'react';
import type { ApiEvent } from '../../../main/common/contracts/events.ts';
import type { ApiClient } from '../api/api-client.ts';
import type { WorkerStatus } from '../format/worker-status-text.ts';

export interface ModelProcessState {
  worker: WorkerStatus | null;
  /** True while an unload is on its way. */
  unloading: boolean;
  unload: () => Promise<void>;
  handleEvent: (event: ApiEvent) => void;
}

export function useModelProcess(client: ApiClient, report: (error: unknown) => void): ModelProcessState {
  const [worker, setWorker] = useState<WorkerStatus | null>(null);
  const [unloading, setUnloading] = useState(false);

  useEffect(() => {
    client
      .call('app.status', {})
      .then((status) => setWorker(status.worker))
      .catch(report);
  }, [client, report]);

  const unload = useCallback(async () => {
    setUnloading(true);
    try {
      setWorker(await client.call('models.unload', {}));
    } catch (e) {
      report(e);
    } finally {
      setUnloading(false);
    }
  }, [client, report]);

  const handleEvent = useCallback((event: ApiEvent) => {
    if (event.type === 'worker.status') setWorker(event);
  }, []);

  return { worker, unloading, unload, handleEvent };
}
