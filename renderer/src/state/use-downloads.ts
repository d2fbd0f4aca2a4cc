// The downloads' state, shared by the Discover page and the Models page: the list, kept current by
// the event stream, and the actions (start, pause, resume, cancel), whose errors go to the banner.
import { useCallback, useEffect, useState } from 'react';
import type { ApiEvent } from '../../../main/common/contracts/events.ts';
import type { Download, StartDownloadInput } from '../../../main/common/contracts/hub.ts';
import type { ApiClient } from '../api/api-client.ts';
import { applyDownloadEvent } from './download-list.ts';

export interface DownloadsState {
  downloads: Download[];
  /** Starts a download; resolves with it, or null when it failed (the error was reported). */
  start: (input: StartDownloadInput) => Promise<Download | null>;
  pause: (jobId: string) => Promise<void>;
  resume: (jobId: string) => Promise<void>;
  cancel: (jobId: string) => Promise<void>;
  handleEvent: (event: ApiEvent) => void;
}

export function useDownloads(client: ApiClient, report: (error: unknown) => void): DownloadsState {
  const [downloads, setDownloads] = useState<Download[]>([]);

  const reload = useCallback(async () => {
    try {
      setDownloads(await client.call('downloads.list', {}));
    } catch (e) {
      report(e);
    }
  }, [client, report]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const start = useCallback(
    async (input: StartDownloadInput) => {
      try {
        const download = await client.call('downloads.start', input);
        await reload();
        return download;
      } catch (e) {
        report(e);
        return null;
      }
    },
    [client, reload, report],
  );

  const act = useCallback(
    async (method: 'downloads.pause' | 'downloads.resume' | 'downloads.cancel', jobId: string) => {
      try {
        await client.call(method, { jobId });
        await reload();
      } catch (e) {
        report(e);
      }
    },
    [client, reload, report],
  );

  const handleEvent = useCallback(
    (event: ApiEvent) => {
      if (event.type === 'download.progress') setDownloads((list) => applyDownloadEvent(list, event));
      else if (event.type === 'downloads.changed') void reload();
    },
    [reload],
  );

  return {
    downloads,
    start,
    pause: (jobId) => act('downloads.pause', jobId),
    resume: (jobId) => act('downloads.resume', jobId),
    cancel: (jobId) => act('downloads.cancel', jobId),
    handleEvent,
  };
}
