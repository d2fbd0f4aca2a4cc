// The chat page: the conversation's header (title, settings, context meter), its messages as
// they stream in, and the composer. With no conversation open it is a fresh chat: the first
// message creates the conversation with the model and precision chosen in the top bar.
import { useEffect, useRef, useState } from 'react';
import type { ChatParams, Conversation } from '../../../main/common/contracts/chat.ts';
import type { EventNotice } from '../state/chat-state.ts';
import { Composer } from './Composer.tsx';
import { ContextMeter } from './ContextMeter.tsx';
import { MessageView } from './MessageView.tsx';
import { SettingsPanel } from './SettingsPanel.tsx';
import './ChatView.css';

export interface ChatViewProps {
  conversation: Conversation | null;
  /** The context the meter measures against (the setting, capped by the model's own context). */
  contextLength: number;
  notices: EventNotice[];
  streaming: boolean;
  sending: boolean;
  modelId: string | null;
  buildingPrecision: string | null;
  onSend: (text: string) => Promise<boolean>;
  onStop: () => void;
  onRegenerate: () => void;
  onEdit: (messageId: string, text: string) => Promise<boolean>;
  onSaveSettings: (systemPrompt: string, params: ChatParams) => Promise<boolean>;
}

/** Near enough to the bottom that new text should keep the view scrolled down. */
const STICK_TO_BOTTOM_PX = 80;

export function ChatView(props: ChatViewProps) {
  const { conversation } = props;
  const [settingsOpen, setSettingsOpen] = useState(false);
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const messages = conversation?.messages.filter((m) => m.role !== 'system') ?? [];
  const lastAssistantId = messages.findLast((m) => m.role === 'assistant')?.id;
  const lastText = messages.at(-1)?.content.length ?? 0;

  useEffect(() => {
    const el = scroller.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [messages.length, lastText]);

  return (
    <section className="chat" aria-label="Chat">
      <div className="chat-header">
        <h2>{conversation ? conversation.title || 'Untitled' : 'New chat'}</h2>
        {conversation && <ContextMeter messages={conversation.messages} contextLength={props.contextLength} />}
        <button type="button" aria-expanded={settingsOpen} disabled={!conversation} onClick={() => setSettingsOpen((o) => !o)}>
          Settings
        </button>
      </div>
      {settingsOpen && conversation && (
        <SettingsPanel key={conversation.id} conversation={conversation} onSave={props.onSaveSettings} onClose={() => setSettingsOpen(false)} />
      )}
      <div
        className="messages"
        ref={scroller}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_TO_BOTTOM_PX;
        }}
      >
        {/* Notices that came before any message (e.g. where the first reply will run) lead the conversation. */}
        {props.notices
          .filter((n) => n.afterMessageId === null)
          .map((n, i) => (
            <p key={i} className={`notice notice-${n.kind}`} role="note">
              {n.text}
            </p>
          ))}
        {messages.length === 0 && (
          <p className="muted chat-empty">{props.modelId ? 'Type a message below to start.' : 'Choose a model in the top bar, then type a message below.'}</p>
        )}
        {messages.map((m) => (
          <MessageView
            key={m.id}
            message={m}
            notices={props.notices}
            canRegenerate={!props.streaming && m.id === lastAssistantId}
            canEdit={!props.streaming && m.role === 'user'}
            onRegenerate={props.onRegenerate}
            onEdit={(text) => props.onEdit(m.id, text)}
          />
        ))}
      </div>
      <Composer
        streaming={props.streaming}
        sending={props.sending}
        modelId={props.modelId}
        buildingPrecision={props.buildingPrecision}
        onSend={props.onSend}
        onStop={props.onStop}
      />
    </section>
  );
}
