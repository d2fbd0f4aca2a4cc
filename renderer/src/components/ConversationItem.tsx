// One conversation in the list: open it, rename it in place, or delete it after a confirmation.
// A title too long for the column is cut with an ellipsis; the whole title is its tooltip, and
// the open conversation's title wraps so it is read in full.
// The action buttons are named just "Rename" and "Delete" (described by the title), so the
// conversation's own button is the only control whose name is its title.
import { useState } from 'react';
import type { ConversationSummary } from '../../../main/common/contracts/chat.ts';

type Mode = 'view' | 'rename' | 'confirm-delete';

export interface ConversationItemProps {
  conversation: ConversationSummary;
  active: boolean;
  onOpen: () => void;
  onRename: (title: string) => void;
  onDelete: () => void;
}

export function ConversationItem({ conversation, active, onOpen, onRename, onDelete }: ConversationItemProps) {
  const [mode, setMode] = useState<Mode>('view');
  const [title, setTitle] = useState(conversation.title);
  const name = conversation.title || 'Untitled';

  if (mode === 'rename') {
    return (
      <li className="conversation-item">
        <form
          className="conversation-rename"
          onSubmit={(e) => {
            e.preventDefault();
            if (title.trim()) onRename(title.trim());
            setMode('view');
          }}
        >
          <input aria-label={`New title for ${name}`} value={title} maxLength={200} autoFocus onChange={(e) => setTitle(e.target.value)} />
          <button type="submit">Save</button>
          <button type="button" onClick={() => setMode('view')}>
            Cancel
          </button>
        </form>
      </li>
    );
  }

  if (mode === 'confirm-delete') {
    return (
      <li className="conversation-item">
        <div className="conversation-confirm" role="group" aria-label={`Delete ${name}?`}>
          <p>Delete “{name}” and its messages?</p>
          <button type="button" className="danger" onClick={onDelete}>
            Delete
          </button>
          <button type="button" onClick={() => setMode('view')}>
            Cancel
          </button>
        </div>
      </li>
    );
  }

  return (
    <li className={active ? 'conversation-item active' : 'conversation-item'}>
      <button type="button" id={`conversation-${conversation.id}`} className="conversation-open" title={name} aria-current={active ? 'true' : undefined} onClick={onOpen}>
        {name}
      </button>
      <span className="conversation-actions">
        <button
          type="button"
          aria-describedby={`conversation-${conversation.id}`}
          onClick={() => {
            setTitle(conversation.title);
            setMode('rename');
          }}
        >
          Rename
        </button>
        <button type="button" aria-describedby={`conversation-${conversation.id}`} onClick={() => setMode('confirm-delete')}>
          Delete
        </button>
      </span>
    </li>
  );
}
