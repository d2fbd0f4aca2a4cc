// The models page's state, which the top bar and the chat share: the library's models and the
// precision variants being built, kept current by the event stream.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ApiEvent } from '../../../main/common/contracts/events.ts';
import type { ModelSummary } from '../../../main/common/contracts/models.ts';
import type { Precision } from '../../../main/common/model-manifest.ts';
import type { ApiClient } from '../api/api-client.ts';
import { errorMessage } from '../api/api-client.ts';
import { applyBuildEvent, buildKey, markBuildFailed, markBuildRequested, settleFromLibrary, variantStatus } from './build-progress.ts';
import type { BuildMap } from './build-progress.ts';

export interface ModelLibraryState {
  models: ModelSummary[];
  /** Model id → its name, for the status line. */
  modelNames: ReadonlyMap<string, string>;
  builds: BuildMap;
  reloadModels: () => Promise<void>;
  /** Starts building the variant unless it is ready or already building. */
  ensureVariant: (modelId: string, wanted: Precision) => Promise<void>;
  /** Stops the variant's build (it is left not built); the 'cancelled' event settles its progress. */
  cancelBuild: (modelId: string, precision: Precision) => Promise<void>;
  handleEvent: (event: ApiEvent) => void;
}

export function useModelLibrary(client: ApiClient, report: (error: unknown) => void): ModelLibraryState {
  const [models, setModels] = useState<ModelSummary[]>([]);
  const [builds, setBuilds] = useState<BuildMap>({});

  const reloadModels = useCallback(async () => {
    try {
      const list = await client.call('models.list', {});
      setModels(list);
      setBuilds((b) => settleFromLibrary(b, list));
    } catch (e) {
      report(e);
    }
  }, [client, report]);

  useEffect(() => {
    void reloadModels();
  }, [reloadModels]);

  const ensureVariant = useCallback(
    async (modelId: string, wanted: Precision) => {
      const model = models.find((m) => m.id === modelId);
      const status = variantStatus(model, wanted);
      if (status === 'ready' || status === 'building' || builds[buildKey(modelId, wanted)]?.state === 'building') return;
      setBuilds((b) => markBuildRequested(b, modelId, wanted));
      try {
        await client.call('models.buildVariant', { modelId, precision: wanted });
        await reloadModels();
      } catch (e) {
        setBuilds((b) => markBuildFailed(b, modelId, wanted, { code: 'model-build-failed', message: errorMessage(e) }));
        report(e);
      }
    },
    [builds, client, models, reloadModels, report],
  );

  const cancelBuild = useCallback(
    async (modelId: string, precision: Precision) => {
      try {
        await client.call('models.cancelBuild', { modelId, precision });
        await reloadModels();
      } catch (e) {
        report(e);
      }
    },
    [client, reloadModels, report],
  );

  const handleEvent = useCallback(
    (event: ApiEvent) => {
      if (event.type === 'model.build') {
        setBuilds((b) => applyBuildEvent(b, event));
        if (event.state !== 'building') void reloadModels();
      } else if (event.type === 'library.changed') {
        void reloadModels();
      }
    },
    [reloadModels],
  );

  const modelNames = useMemo(() => new Map(models.map((m) => [m.id, m.name])), [models]);
  return { models, modelNames, builds, reloadModels, ensureVariant, cancelBuild, handleEvent };
}
