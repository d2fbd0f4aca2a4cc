// The whole window: the sidebar (pages, conversations), the top bar (model, quantization, the
// model process) and the page. It owns the state shared between them and the one subscription
// to the event stream; the pages get what they show and callbacks for what they do.
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { DEFAULT_CHAT_PARAMS } from '../../../main/common/contracts/chat.ts';
import type { ChatParams, ConversationSummary } from '../../../main/common/contracts/chat.ts';
import type { ApiEvent } from '../../../main/common/contracts/events.ts';
import { conversationTitleFrom } from '../../../main/common/conversation-title.ts';
import type { Adapter, Job, JobDetail } from '../../../main/common/contracts/jobs.ts';
import type { ModelPlan, ModelSummary } from '../../../main/common/contracts/models.ts';
import type { Precision } from '../../../main/common/model-manifest.ts';
import type { ApiClient } from '../api/api-client.ts';
import { errorMessage } from '../api/api-client.ts';
import type { WorkerStatus } from '../format/worker-status-text.ts';
import { applyBuildEvent, buildKey, markBuildFailed, markBuildRequested, settleFromLibrary, variantStatus } from '../state/build-progress.ts';
import type { BuildMap } from '../state/build-progress.ts';
import { chatReducer, EMPTY_CHAT, streamingMessage } from '../state/chat-state.ts';
import { applyProgressToDetail, applyProgressToList, type JobProgressEvent } from '../state/job-progress.ts';
import { ChatView } from './ChatView.tsx';
import { ErrorBanner } from './ErrorBanner.tsx';
import { FineTunePage } from './FineTunePage.tsx';
import { HardwarePanel } from './HardwarePanel.tsx';
import { ModelLibrary } from './ModelLibrary.tsx';
import { Sidebar } from './Sidebar.tsx';
import type { Page } from './Sidebar.tsx';
import { TopBar } from './TopBar.tsx';
import './App.css';

interface Selection {
  modelId: string | null;
  /** null: follow the plan's recommendation. */
  precision: Precision | null;
}

const SEARCH_DELAY_MS = 200;
const FINAL_JOB_STATES: readonly Job['state'][] = ['completed', 'failed', 'cancelled'];

export function App({ client }: { client: ApiClient }) {
  const [page, setPage] = useState<Page>('chat');
  const [models, setModels] = useState<ModelSummary[]>([]);
  const [conversations, setConversations] = useState<ConversationSummary[]>([]);
  const [query, setQuery] = useState('');
  const [chat, dispatch] = useReducer(chatReducer, EMPTY_CHAT);
  const [draft, setDraft] = useState<Selection>({ modelId: null, precision: null });
  const [plan, setPlan] = useState<ModelPlan | null>(null);
  const [planError, setPlanError] = useState<string | null>(null);
  const [builds, setBuilds] = useState<BuildMap>({});
  const [worker, setWorker] = useState<WorkerStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const [jobs, setJobs] = useState<Job[]>([]);
  const [adapters, setAdapters] = useState<Adapter[]>([]);
  const [viewedJob, setViewedJob] = useState<JobDetail | null>(null);

  const conversation = chat.conversation;
  const selection: Selection = conversation ? { modelId: conversation.modelId, precision: conversation.precision } : draft;
  const contextLength = conversation?.params.contextLength ?? DEFAULT_CHAT_PARAMS.contextLength;
  const selectedModel = models.find((m) => m.id === selection.modelId);
  /** What the model can really hold: the conversation's setting, capped by the model's own context. */
  const effectiveContext = selectedModel ? Math.min(contextLength, selectedModel.contextLength) : contextLength;
  const precision = selection.precision ?? (plan?.modelId === selection.modelId ? (plan?.plan.recommended?.precision ?? null) : null);

  const report = useCallback((e: unknown) => setError(errorMessage(e)), []);

  // --- loading -------------------------------------------------------------------------------
  const reloadModels = useCallback(async () => {
    try {
      const list = await client.call('models.list', {});
      setModels(list);
      setBuilds((b) => settleFromLibrary(b, list));
    } catch (e) {
      report(e);
    }
  }, [client, report]);

  const queryRef = useRef(query);
  queryRef.current = query;
  const reloadConversations = useCallback(async () => {
    const q = queryRef.current.trim();
    try {
      setConversations(q ? await client.call('conversations.search', { query: q }) : await client.call('conversations.list', {}));
    } catch (e) {
      report(e);
    }
  }, [client, report]);

  const conversationIdRef = useRef<string | null>(null);
  conversationIdRef.current = conversation?.id ?? null;
  const reloadConversation = useCallback(
    async (id: string) => {
      try {
        const loaded = await client.call('conversations.get', { conversationId: id });
        if (conversationIdRef.current === null || conversationIdRef.current === id) dispatch({ type: 'loaded', conversation: loaded });
      } catch (e) {
        report(e);
      }
    },
    [client, report],
  );

  // --- fine-tune jobs and adapters ----------------------------------------------------------------
  const reloadAdapters = useCallback(async () => {
    try {
      setAdapters(await client.call('adapters.list', {}));
    } catch (e) {
      report(e);
    }
  }, [client, report]);

  /** The list, and the viewed job's state, checkpoint and adapter (its curve and step follow the events). */
  const reloadJobs = useCallback(async () => {
    try {
      const list = await client.call('jobs.list', {});
      setJobs(list);
      setViewedJob((viewed) => {
        const fresh = viewed && list.find((job) => job.id === viewed.id);
        if (!viewed || !fresh) return null;
        return { ...fresh, progress: viewed.state === fresh.state ? viewed.progress : fresh.progress, metrics: viewed.metrics };
      });
    } catch (e) {
      report(e);
    }
  }, [client, report]);

  const viewedJobIdRef = useRef<string | null>(null);
  /** Events of the viewed job that arrive while its detail loads: replayed over it (they are idempotent). */
  const jobEventsWhileLoading = useRef<JobProgressEvent[] | null>(null);
  const viewJob = useCallback(
    async (jobId: string | null) => {
      viewedJobIdRef.current = jobId;
      if (!jobId) {
        setViewedJob(null);
        return;
      }
      const buffer: JobProgressEvent[] = [];
      jobEventsWhileLoading.current = buffer;
      try {
        const detail = await client.call('jobs.get', { jobId });
        if (viewedJobIdRef.current === jobId) setViewedJob(buffer.reduce(applyProgressToDetail, detail));
      } catch (e) {
        report(e);
      } finally {
        if (jobEventsWhileLoading.current === buffer) jobEventsWhileLoading.current = null;
      }
    },
    [client, report],
  );

  useEffect(() => {
    void reloadJobs();
    void reloadAdapters();
  }, [reloadJobs, reloadAdapters]);

  useEffect(() => {
    void reloadModels();
    client
      .call('app.status', {})
      .then((status) => setWorker(status.worker))
      .catch(report);
  }, [client, reloadModels, report]);

  useEffect(() => {
    const timer = setTimeout(() => void reloadConversations(), query ? SEARCH_DELAY_MS : 0);
    return () => clearTimeout(timer);
  }, [query, reloadConversations]);

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

  // --- events --------------------------------------------------------------------------------
  const onEvent = useCallback(
    (event: ApiEvent) => {
      dispatch({ type: 'event', event });
      switch (event.type) {
        case 'chat.ended':
          if (event.conversationId === conversationIdRef.current) void reloadConversation(event.conversationId);
          void reloadConversations();
          break;
        case 'model.build':
          setBuilds((b) => applyBuildEvent(b, event));
          if (event.state !== 'building') void reloadModels();
          break;
        case 'library.changed':
          void reloadModels();
          break;
        case 'conversations.changed':
          void reloadConversations();
          break;
        case 'worker.status':
          setWorker(event);
          break;
        case 'job.progress':
          setJobs((list) => applyProgressToList(list, event));
          if (event.jobId === viewedJobIdRef.current) {
            jobEventsWhileLoading.current?.push(event);
            setViewedJob((viewed) => viewed && applyProgressToDetail(viewed, event));
            // The final curve and the adapter, as stored.
            if (FINAL_JOB_STATES.includes(event.state)) void viewJob(event.jobId);
          }
          break;
        case 'jobs.changed':
          void reloadJobs();
          break;
        case 'adapters.changed':
          void reloadAdapters();
          break;
        default:
          break;
      }
    },
    [reloadAdapters, reloadConversation, reloadConversations, reloadJobs, reloadModels, viewJob],
  );
  useEffect(() => client.onEvent(onEvent), [client, onEvent]);

  // --- model and precision -------------------------------------------------------------------
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

  const applySelection = useCallback(
    async (next: Selection) => {
      setDraft(next);
      if (!conversation) return;
      try {
        const updated = await client.call('conversations.update', { conversationId: conversation.id, modelId: next.modelId, precision: next.precision });
        dispatch({ type: 'loaded', conversation: updated });
      } catch (e) {
        report(e);
      }
    },
    [client, conversation, report],
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

  // --- conversations -------------------------------------------------------------------------
  const openConversation = useCallback(
    async (id: string) => {
      setPage('chat');
      try {
        const loaded = await client.call('conversations.get', { conversationId: id });
        dispatch({ type: 'loaded', conversation: loaded });
        setDraft({ modelId: loaded.modelId, precision: loaded.precision });
      } catch (e) {
        report(e);
      }
    },
    [client, report],
  );

  const newChat = useCallback(() => {
    setPage('chat');
    if (conversation) setDraft({ modelId: conversation.modelId, precision: conversation.precision });
    dispatch({ type: 'closed' });
  }, [conversation]);

  const renameConversation = useCallback(
    async (id: string, title: string) => {
      try {
        await client.call('conversations.rename', { conversationId: id, title });
        await reloadConversations();
        if (id === conversationIdRef.current) await reloadConversation(id);
      } catch (e) {
        report(e);
      }
    },
    [client, reloadConversation, reloadConversations, report],
  );

  const deleteConversation = useCallback(
    async (id: string) => {
      try {
        await client.call('conversations.delete', { conversationId: id });
        if (id === conversationIdRef.current) dispatch({ type: 'closed' });
        await reloadConversations();
      } catch (e) {
        report(e);
      }
    },
    [client, reloadConversations, report],
  );

  // --- chat ----------------------------------------------------------------------------------
  const send = useCallback(
    async (text: string): Promise<boolean> => {
      setSending(true);
      try {
        let id = conversation?.id;
        if (!id) {
          const created = await client.call('conversations.create', { modelId: selection.modelId, precision, title: conversationTitleFrom(text) });
          dispatch({ type: 'loaded', conversation: created });
          id = created.id;
          void reloadConversations();
        }
        const started = await client.call('chat.send', { conversationId: id, text });
        dispatch({ type: 'reply-started', started, reply: { kind: 'send', text }, now: Date.now() });
        return true;
      } catch (e) {
        report(e);
        return false;
      } finally {
        setSending(false);
      }
    },
    [client, conversation?.id, precision, reloadConversations, report, selection.modelId],
  );

  const stop = useCallback(async () => {
    if (!conversation) return;
    try {
      await client.call('chat.stop', { conversationId: conversation.id });
    } catch (e) {
      report(e);
    }
  }, [client, conversation, report]);

  const regenerate = useCallback(async () => {
    if (!conversation) return;
    try {
      const started = await client.call('chat.regenerate', { conversationId: conversation.id });
      dispatch({ type: 'reply-started', started, reply: { kind: 'regenerate' }, now: Date.now() });
    } catch (e) {
      report(e);
    }
  }, [client, conversation, report]);

  const editAndResend = useCallback(
    async (messageId: string, text: string): Promise<boolean> => {
      try {
        const started = await client.call('chat.editAndResend', { messageId, text });
        dispatch({ type: 'reply-started', started, reply: { kind: 'edit', messageId, text }, now: Date.now() });
        return true;
      } catch (e) {
        report(e);
        return false;
      }
    },
    [client, report],
  );

  const saveSettings = useCallback(
    async (systemPrompt: string, params: ChatParams): Promise<boolean> => {
      if (!conversation) return false;
      try {
        const updated = await client.call('conversations.update', { conversationId: conversation.id, systemPrompt, params });
        dispatch({ type: 'loaded', conversation: updated });
        return true;
      } catch (e) {
        report(e);
        return false;
      }
    },
    [client, conversation, report],
  );

  const chatWithAdapter = useCallback(
    async (adapterId: string) => {
      try {
        const name = adapters.find((a) => a.id === adapterId)?.name ?? 'adapter';
        const created = await client.call('conversations.create', { adapterId, title: `Chat with ${name}` });
        dispatch({ type: 'loaded', conversation: created });
        setDraft({ modelId: created.modelId, precision: created.precision });
        setPage('chat');
        void reloadConversations();
      } catch (e) {
        report(e);
      }
    },
    [adapters, client, reloadConversations, report],
  );

  const removeAdapter = useCallback(async () => {
    if (!conversation) return;
    try {
      const updated = await client.call('conversations.update', { conversationId: conversation.id, adapterId: null });
      dispatch({ type: 'loaded', conversation: updated });
    } catch (e) {
      report(e);
    }
  }, [client, conversation, report]);

  const build = precision && selection.modelId ? (builds[buildKey(selection.modelId, precision)] ?? null) : null;
  const modelNames = useMemo(() => new Map(models.map((m) => [m.id, m.name])), [models]);

  return (
    <div className="app">
      <Sidebar
        page={page}
        onPage={setPage}
        conversations={conversations}
        activeId={conversation?.id ?? null}
        query={query}
        onQuery={setQuery}
        onNewChat={newChat}
        onOpen={(id) => void openConversation(id)}
        onRename={(id, title) => void renameConversation(id, title)}
        onDelete={(id) => void deleteConversation(id)}
      />
      <div className="app-main">
        <TopBar
          models={models}
          modelId={selection.modelId}
          onModel={(id) => void chooseModel(id)}
          plan={plan?.modelId === selection.modelId ? plan.plan : null}
          planError={planError}
          precision={precision}
          onPrecision={(p) => void choosePrecision(p)}
          build={build}
          worker={worker}
          workerModelName={worker?.modelId ? (modelNames.get(worker.modelId) ?? null) : null}
          adapterName={conversation?.adapterId ? (adapters.find((a) => a.id === conversation.adapterId)?.name ?? 'an adapter') : null}
          onRemoveAdapter={() => void removeAdapter()}
        />
        <ErrorBanner message={error} onDismiss={() => setError(null)} />
        <main className="page">
          {page === 'chat' && (
            <ChatView
              conversation={conversation}
              contextLength={effectiveContext}
              notices={chat.notices}
              streaming={Boolean(streamingMessage(chat))}
              sending={sending}
              modelId={selection.modelId}
              buildingPrecision={build?.state === 'building' ? precision : null}
              onSend={send}
              onStop={() => void stop()}
              onRegenerate={() => void regenerate()}
              onEdit={editAndResend}
              onSaveSettings={saveSettings}
            />
          )}
          {page === 'models' && <ModelLibrary client={client} models={models} onChanged={() => void reloadModels()} />}
          {page === 'finetune' && (
            <FineTunePage
              client={client}
              models={models}
              jobs={jobs}
              viewedJob={viewedJob}
              onViewJob={(id) => void viewJob(id)}
              onChatWithAdapter={(id) => void chatWithAdapter(id)}
            />
          )}
          {page === 'hardware' && <HardwarePanel client={client} />}
        </main>
      </div>
    </div>
  );
}
