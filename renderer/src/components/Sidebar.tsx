// The left column: the pages, the "New chat" button, the search box and the conversation list.
import type { ConversationSummary } from '../../../main/common/contracts/chat.ts';
import { ConversationItem } from './ConversationItem.tsx';
import './Sidebar.css';

export type Page = 'chat' | 'models' | 'discover' | 'finetune' | 'hardware' | 'server';

const PAGES: { page: Page; label: string }[] = [
  { page: 'chat', label: 'Chat' },
  { page: 'models', label: 'Models' },
  { page: 'discover', label: 'Discover' },
  { page: 'finetune', label: 'Fine-tune' },
  { page: 'hardware', label: 'Hardware' },
  { page: 'server', label: 'Local server' },
];

export interface SidebarProps {
  page: Page;
  onPage: (page: Page) => void;
  conversations: ConversationSummary[];
  activeId: string | null;
  query: string;
  onQuery: (query: string) => void;
  onNewChat: () => void;
  onOpen: (id: string) => void;
  onRename: (id: string, title: string) => void;
  onDelete: (id: string) => void;
}

export function Sidebar(props: SidebarProps) {
  return (
    <aside className="sidebar">
      <h1 className="sidebar-title">Hearth</h1>
      <nav aria-label="Pages" className="sidebar-pages">
        {PAGES.map(({ page, label }) => (
          <button key={page} type="button" aria-current={props.page === page ? 'page' : undefined} onClick={() => props.onPage(page)}>
            {label}
          </button>
        ))}
      </nav>
      <button type="button" className="new-chat" onClick={props.onNewChat}>
        New chat
      </button>
      <input
        type="search"
        className="conversation-search"
        aria-label="Search conversations"
        placeholder="Search conversations"
        value={props.query}
        onChange={(e) => props.onQuery(e.target.value)}
      />
      <nav aria-label="Conversations" className="conversation-list">
        {props.conversations.length === 0 ? (
          <p className="muted">{props.query ? 'No conversation matches.' : 'No conversations yet.'}</p>
        ) : (
          <ul>
            {props.conversations.map((c) => (
              <ConversationItem
                key={c.id}
                conversation={c}
                active={c.id === props.activeId}
                onOpen={() => props.onOpen(c.id)}
                onRename={(title) => props.onRename(c.id, title)}
                onDelete={() => props.onDelete(c.id)}
              />
            ))}
          </ul>
        )}
      </nav>
    </aside>
  );
}
