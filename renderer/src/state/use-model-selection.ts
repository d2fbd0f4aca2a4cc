// The top bar's model and precision: the open conversation's, or the draft of a new chat; the
// memory plan for them at the conversation's context length; and the variant build a choice
// starts. Changing either updates the open conversation.
import { useCallback, useEffect, useState } from 'react';
import { DEFAULT_CHAT_PARAMS } from '../../../main/common/contracts/chat.ts';
import type { ModelPlan, ModelSummary } from '../../../main/common/contracts/models.ts';
import type { Precision } from '../../../main/common/model-manifest.ts';
import type { ApiClient } from '../api/api-client.ts';
import { errorMessage } from '../api/api-client.ts';
import { buildKey, type BuildProgress } from './build-progress.ts';
import type { ModelLibraryState } from './use-model-library.ts';
import type { OpenConversationState, Selection } from './use-open-conversation.ts';

export interface ModelSelectionState {
  selection: Selection;
  /** The chosen precision, or the plan's recommendation when none is chosen. */
  precision: Precision | null;
  plan: ModelPlan | null;
  planError: string | null;
  /** What the model can really hold: the conversation's setting, capped by the model's own context. */
  effectiveContext: number;
  /** The build of the selected variant, if one was started. */
  build: BuildProgress | null;
  chooseModel: (modelId: string | null) => Promise<void>;
  choosePrecision: (precision: Precision) => Promise<void>;
  /** Measures what the precision costs this model (models.measureQuality) and shows the plan with it; rejects with the reason it could not. */
  measureQuality: (precision: Precision) => Promise<void>;
}

export function useModelSelection(
  client: ApiClient,
  report: (error: unknown) => void,
  open: Pick<OpenConversationState, 'conversation' | 'draft' | 'setDraft' | 'show'>,
  library: Pick<ModelLibraryState, 'models' | 'builds' | 'ensureVariant'>,
): ModelSelectionState {
  const [plan, setPlan] = useState<ModelPlan | null>(null);
  const [planError, setPlanError] = useState<string | null>(null);
  const { conversation, draft, setDraft, show } = open;
  const { models, builds, ensureVariant } = library;

  const selection: Selection = conversation ? { modelId: conversation.modelId, precision: conversation.precision } : draft;
  const contextLength = conversation?.params.contextLength ?? DEFAULT_CHAT_PARAMS.contextLength;
  const selectedModel: ModelSummary | undefined = models.find((m) => m.id === selection.modelId);
  const effectiveContext = selectedModel ? Math.min(contextLength, selectedModel.contextLength) : contextLength;
  const precision = selection.precision ?? (plan?.modelId === selection.modelId ? (plan?.plan.recommended?.precision ?? null) : null);

  useEffect(() => {
    if (!selection.modelId) {
      setPlan(null);
      return;
    }
    let current = true;
    setPlanError(null);
    client
      .call('models.plan', { modelId: selection.modelId, contextTokens: contextLength })
      .then((p) => current && setPlan(p))
      .catch((e: unknown) => current && setPlanError(errorMessage(e)));
    return () => {
      current = false;
    };
  }, [client, selection.modelId, contextLength]);

  const applySelection = useCallback(
    async (next: Selection) => {
      setDraft(next);
      if (!conversation) return;
      try {
        show(await client.call('conversations.update', { conversationId: conversation.id, modelId: next.modelId, precision: next.precision }));
      } catch (e) {
        report(e);
      }
    },
    [client, conversation, report, setDraft, show],
  );

  const chooseModel = useCallback(
    async (modelId: string | null) => {
      if (!modelId) return applySelection({ modelId: null, precision: null });
      try {
        // The recommended precision is the default; it is built now so the first message need not wait.
        const p = await client.call('models.plan', { modelId, contextTokens: contextLength });
        setPlan(p);
        const recommended = p.plan.recommended?.precision ?? null;
        await applySelection({ modelId, precision: recommended });
        if (recommended) await ensureVariant(modelId, recommended);
      } catch (e) {
        report(e);
      }
    },
    [applySelection, client, contextLength, ensureVariant, report],
  );

  const choosePrecision = useCallback(
    async (wanted: Precision) => {
      if (!selection.modelId) return;
      await applySelection({ modelId: selection.modelId, precision: wanted });
      await ensureVariant(selection.modelId, wanted);
    },
    [applySelection, ensureVariant, selection.modelId],
  );

  const measureQuality = useCallback(
    async (measured: Precision) => {
      if (!selection.modelId) return;
      setPlan(await client.call('models.measureQuality', { modelId: selection.modelId, precision: measured, contextTokens: contextLength }));
    },
    [client, contextLength, selection.modelId],
  );

  const build = precision && selection.modelId ? (builds[buildKey(selection.modelId, precision)] ?? null) : null;
  return { selection, precision, plan, planError, effectiveContext, build, chooseModel, choosePrecision, measureQuality };
}
