// One message as an article named "You" or "Assistant": the text (Markdown for the assistant),
// the reply's stats, its notices, and its actions (edit a user message, regenerate the last reply).
import { useState } from 'react';
import type { Message } from '../../../main/common/contracts/chat.ts';
import type { EventNotice } from '../state/chat-state.ts';
import { noticesFor } from '../state/message-notices.ts';
import { MarkdownText } from './MarkdownText.tsx';
import { MessageStatsLine } from './MessageStatsLine.tsx';

export interface MessageViewProps {
  message: Message;
  notices: readonly EventNotice[];
  canRegenerate: boolean;
  canEdit: boolean;
  onRegenerate: () => void;
  onEdit: (text: string) => Promise<boolean>;
}

export function MessageView({ message, notices, canRegenerate, canEdit, onRegenerate, onEdit }: MessageViewProps) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(message.content);
  const isUser = message.role === 'user';
  const streaming = message.status === 'streaming';

  return (
    <article aria-label={isUser ? 'You' : 'Assistant'} className={`message ${isUser ? 'message-user' : 'message-assistant'}`} aria-busy={streaming}>
      {editing ? (
        <form
          className="message-edit"
          onSubmit={(e) => {
            e.preventDefault();
            if (!draft.trim()) return;
            void onEdit(draft).then((ok) => ok && setEditing(false));
          }}
        >
          <textarea aria-label="Edited message" value={draft} rows={3} onChange={(e) => setDraft(e.target.value)} />
          <div className="message-actions">
            <button type="submit">Save and send</button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : isUser ? (
        <p className="message-text user-text">{message.content}</p>
      ) : (
        <div className={streaming && message.content === '' ? 'message-text waiting' : 'message-text'}>
          <MarkdownText text={message.content} streaming={streaming} />
        </div>
      )}
      {message.stats && <MessageStatsLine stats={message.stats} />}
      {noticesFor(message, notices).map((n, i) => (
        <p key={i} className={`notice notice-${n.tone}`} role="note">
          {n.text}
        </p>
      ))}
      {!editing && (canEdit || canRegenerate) && (
        <div className="message-actions">
          {canEdit && (
            <button
              type="button"
              onClick={() => {
                setDraft(message.content);
                setEditing(true);
              }}
            >
              Edit
            </button>
          )}
          {canRegenerate && (
            <button type="button" onClick={onRegenerate}>
              Regenerate
            </button>
          )}
        </div>
      )}
    </article>
  );
}
