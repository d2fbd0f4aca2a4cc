// Store records of adapters as the API shows them.
import { ApiError } from '../common/contracts/api-error.ts';
import type { Adapter } from '../common/contracts/jobs.ts';
import type { AdapterRecord } from '../store/adapters-repository.ts';
import type { Store } from '../store/store.ts';

export function adapterSummary(record: AdapterRecord): Adapter {
  return { id: record.id, baseModelId: record.baseModelId, name: record.name, source: record.source, jobId: record.jobId, r: record.r, alpha: record.alpha, createdAt: record.createdAt };
}

export function requireAdapter(store: Store, adapterId: string): AdapterRecord {
  const adapter = store.adapters.get(adapterId);
  if (!adapter) throw new ApiError('not-found', `There is no adapter ${adapterId} (was it deleted?).`);
  return adapter;
}
