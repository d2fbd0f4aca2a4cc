// The Discover page's search, kept by the window so that leaving the page and coming back shows
// the same results: the text typed, and the Hub asked once typing pauses (an answer to an older
// text is dropped when a newer one was asked meanwhile).
import { useEffect, useRef, useState } from 'react';
import type { HubModelCard } from '../../../main/common/contracts/hub.ts';
import type { ApiClient } from '../api/api-client.ts';
import { errorMessage } from '../api/api-client.ts';

/** The Hub is asked this long after the last keystroke, not at every one. */
export const SEARCH_DEBOUNCE_MS = 350;
const SEARCH_LIMIT = 12;

export interface HubSearchState {
  query: string;
  setQuery: (query: string) => void;
  /** Null before a search (an empty box). */
  results: HubModelCard[] | null;
  searching: boolean;
  error: string | null;
}

export function useHubSearch(client: ApiClient): HubSearchState {
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<HubModelCard[] | null>(null);
  const [searching, setSearching] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(0);

  useEffect(() => {
    const search = query.trim();
    const ticket = ++latest.current;
    if (!search) {
      setResults(null);
      setSearching(false);
      setError(null);
      return;
    }
    setSearching(true);
    const timer = setTimeout(() => {
      client
        .call('hub.search', { search, limit: SEARCH_LIMIT })
        .then((found) => {
          if (ticket !== latest.current) return;
          setResults(found.models);
          setError(null);
        })
        .catch((e: unknown) => {
          if (ticket === latest.current) setError(errorMessage(e));
        })
        .finally(() => {
          if (ticket === latest.current) setSearching(false);
        });
    }, SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [client, query]);

  return { query, setQuery, results, searching, error };
}
