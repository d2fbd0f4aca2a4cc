// The sidebar's conversation list and its search box: the list, or the search's matches a moment
// after the user stops typing, reloaded when conversations change.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ConversationSummary } from '../../../main/common/contracts/chat.ts';
import type { ApiEvent } from '../../../main/common/contracts/events.ts';
import type { ApiClient } from '../api/api-client.ts';

const SEARCH_DELAY_MS = 200;

export interface ConversationListState {
  conversations: ConversationSummary[];
  query: string;
  setQuery: (query: string) => void;
  reloadConversations: () => Promise<void>;
  handleEvent: (event: ApiEvent) => void;
}

export function useConversationList(client: ApiClient, report: (error: unknown) => void): ConversationListState {
  const [conversations, setConversations] = useState<ConversationSummary[]>([]);
  const [query, setQuery] = useState('');

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

  useEffect(() => {
    const timer = setTimeout(() => void reloadConversations(), query ? SEARCH_DELAY_MS : 0);
    return () => clearTimeout(timer);
  }, [query, reloadConversations]);

  const handleEvent = useCallback(
    (event: ApiEvent) => {
      if (event.type === 'chat.ended' || event.type === 'conversations.changed') void reloadConversations();
    },
    [reloadConversations],
  );

  return { conversations, query, setQuery, reloadConversations, handleEvent };
}
