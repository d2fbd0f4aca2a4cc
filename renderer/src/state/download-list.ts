// The downloads as the Discover and Models pages show them, kept current by 'download.progress'
// events between reloads of the list (a reload comes with 'downloads.changed').
import type { ApiEvent } from '../../../main/common/contracts/events.ts';
import type { Download } from '../../../main/common/contracts/hub.ts';

export type DownloadProgressEvent = Extract<ApiEvent, { type: 'download.progress' }>;

/** The list with the event's download moved to its new state and bytes (others unchanged). */
export function applyDownloadEvent(downloads: readonly Download[], event: DownloadProgressEvent): Download[] {
  return downloads.map((d) =>
    d.jobId === event.jobId ? { ...d, state: event.state, error: event.error, progress: event.progress, resumable: event.state === 'paused' || event.state === 'failed' } : d,
  );
}

/** Downloads the person can still act on (running, importing, paused or failed): the Models page shows these. */
export function unfinishedDownloads(downloads: readonly Download[]): Download[] {
  return downloads.filter((d) => d.state !== 'completed' && d.state !== 'cancelled');
}
