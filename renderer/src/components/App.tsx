// The whole window: the sidebar (pages, conversations), the top bar (model, quantization, the
// model process) and the page. Each page's state lives in its hook (renderer/src/state/use-*.ts);
// the window holds the page shown, the error banner and the one subscription to the event
// stream, which it hands to every hook. The pages get what they show and callbacks for what they do.
import { useCallback, useEffect, useState } from 'react';
import type { ApiEvent } from '../../../main/common/contracts/events.ts';
import type { ApiClient } from '../api/api-client.ts';
import { errorMessage } from '../api/api-client.ts';
import { streamingMessage } from '../state/chat-state.ts';
import { useChatPage } from '../state/use-chat-page.ts';
import { useConversationList } from '../state/use-conversation-list.ts';
import { useDownloads } from '../state/use-downloads.ts';
import { useHubSearch } from '../state/use-hub-search.ts';
import { useFineTunePage } from '../state/use-finetune-page.ts';
import { useModelLibrary } from '../state/use-model-library.ts';
import { useModelProcess } from '../state/use-model-process.ts';
import { useModelSelection } from '../state/use-model-selection.ts';
import { useOpenConversation } from '../state/use-open-conversation.ts';
import { ChatView } from './ChatView.tsx';
import { DiscoverPage } from './DiscoverPage.tsx';
import { ErrorBanner } from './ErrorBanner.tsx';
import { FineTunePage } from './FineTunePage.tsx';
import { HardwarePanel } from './HardwarePanel.tsx';
import { LocalServerPage } from './LocalServerPage.tsx';
import { ModelLibrary } from './ModelLibrary.tsx';
import { Sidebar } from './Sidebar.tsx';
import type { Page } from './Sidebar.tsx';
import { TopBar } from './TopBar.tsx';
import './App.css';

export function App({ client }: { client: ApiClient }) {
  const [page, setPage] = useState<Page>('chat');
  const [error, setError] = useState<string | null>(null);
  const report = useCallback((e: unknown) => setError(errorMessage(e)), []);

  const library = useModelLibrary(client, report);
  const list = useConversationList(client, report);
  const open = useOpenConversation(client, report);
  const selection = useModelSelection(client, report, open, library);
  const chatPage = useChatPage(client, report, open, selection, list);
  const finetune = useFineTunePage(client, report);
  const modelProcess = useModelProcess(client, report);
  const downloads = useDownloads(client, report);
  const hubSearch = useHubSearch(client);

  const { handleEvent: openHandles } = open;
  const { handleEvent: listHandles } = list;
  const { handleEvent: libraryHandles } = library;
  const { handleEvent: processHandles } = modelProcess;
  const { handleEvent: finetuneHandles } = finetune;
  const { handleEvent: downloadsHandle } = downloads;
  const onEvent = useCallback(
    (event: ApiEvent) => {
      openHandles(event);
      listHandles(event);
      libraryHandles(event);
      processHandles(event);
      finetuneHandles(event);
      downloadsHandle(event);
    },
    [downloadsHandle, finetuneHandles, libraryHandles, listHandles, openHandles, processHandles],
  );
  useEffect(() => client.onEvent(onEvent), [client, onEvent]);

  const { conversation, chat } = open;

  // "Chat with it" (a completed download): a new chat, then that model chosen for its draft once
  // no conversation is open (choosing it before would change the conversation that was open).
  const [modelToChat, setModelToChat] = useState<string | null>(null);
  const { chooseModel } = selection;
  useEffect(() => {
    if (modelToChat === null || conversation) return;
    setModelToChat(null);
    void chooseModel(modelToChat);
  }, [chooseModel, conversation, modelToChat]);
  const chatWithModel = (modelId: string) => {
    setPage('chat');
    open.startNew();
    setModelToChat(modelId);
  };
  const { worker } = modelProcess;
  const { build, precision } = selection;
  const adapterName = (id: string) => finetune.adapters.find((a) => a.id === id)?.name;

  return (
    <div className="app">
      <Sidebar
        page={page}
        onPage={setPage}
        conversations={list.conversations}
        activeId={conversation?.id ?? null}
        query={list.query}
        onQuery={list.setQuery}
        onNewChat={() => {
          setPage('chat');
          open.startNew();
        }}
        onOpen={(id) => {
          setPage('chat');
          void open.open(id);
        }}
        onRename={(id, title) => void chatPage.renameConversation(id, title)}
        onDelete={(id) => void chatPage.deleteConversation(id)}
      />
      <div className="app-main">
        <TopBar
          models={library.models}
          modelId={selection.selection.modelId}
          onModel={(id) => void selection.chooseModel(id)}
          plan={selection.plan?.modelId === selection.selection.modelId ? selection.plan.plan : null}
          planError={selection.planError}
          precision={precision}
          onPrecision={(p) => void selection.choosePrecision(p)}
          onMeasureQuality={selection.measureQuality}
          build={build}
          onCancelBuild={() => {
            if (selection.selection.modelId && precision) void library.cancelBuild(selection.selection.modelId, precision);
          }}
          onBuild={() => {
            if (selection.selection.modelId && precision) void library.ensureVariant(selection.selection.modelId, precision);
          }}
          worker={worker}
          workerModelName={worker?.modelId ? (library.modelNames.get(worker.modelId) ?? null) : null}
          unloading={modelProcess.unloading}
          onUnload={() => void modelProcess.unload()}
          adapterName={conversation?.adapterId ? (adapterName(conversation.adapterId) ?? 'an adapter') : null}
          onRemoveAdapter={() => void chatPage.removeAdapter()}
        />
        <ErrorBanner message={error} onDismiss={() => setError(null)} />
        <main className="page">
          {page === 'chat' && (
            <ChatView
              conversation={conversation}
              contextLength={selection.effectiveContext}
              notices={chat.notices}
              streaming={Boolean(streamingMessage(chat))}
              sending={chatPage.sending}
              modelId={selection.selection.modelId}
              buildingPrecision={build?.state === 'building' ? precision : null}
              onSend={chatPage.send}
              onStop={() => void chatPage.stop()}
              onRegenerate={() => void chatPage.regenerate()}
              onEdit={chatPage.editAndResend}
              onSaveSettings={chatPage.saveSettings}
            />
          )}
          {page === 'models' && (
            <ModelLibrary
              client={client}
              models={library.models}
              builds={library.builds}
              onCancelBuild={(modelId, p) => void library.cancelBuild(modelId, p)}
              onChanged={() => void library.reloadModels()}
              downloads={downloads}
              onChat={chatWithModel}
            />
          )}
          {page === 'discover' && <DiscoverPage client={client} downloads={downloads} search={hubSearch} onChat={chatWithModel} />}
          {page === 'finetune' && (
            <FineTunePage
              client={client}
              models={library.models}
              jobs={finetune.jobs}
              viewedJob={finetune.viewedJob}
              onViewJob={(id) => void finetune.viewJob(id)}
              onChatWithAdapter={(id) => void chatPage.chatWithAdapter(id, adapterName(id) ?? 'adapter').then((opened) => opened && setPage('chat'))}
            />
          )}
          {page === 'hardware' && <HardwarePanel client={client} />}
          {page === 'server' && <LocalServerPage client={client} />}
        </main>
      </div>
    </div>
  );
}
