// How a download's progress reads: "4.5 MB of 9 MB · 1.2 MB/s · 4 s left", and the fraction its
// bar shows. The speed and the time left appear only while bytes are coming; a paused download
// shows what it has.
import type { Download, DownloadProgress } from '../../../main/common/contracts/hub.ts';
import { formatBytes } from './format-bytes.ts';
import { formatDuration } from './format-duration.ts';

/** Between 0 and 1, or null while the total is unknown. */
export function downloadFraction(progress: DownloadProgress): number | null {
  if (progress.totalBytes === null) return null;
  if (progress.totalBytes === 0) return 1;
  return Math.min(1, progress.doneBytes / progress.totalBytes);
}

export function downloadProgressText(progress: DownloadProgress): string {
  const parts = [progress.totalBytes === null ? `${formatBytes(progress.doneBytes)} so far` : `${formatBytes(progress.doneBytes)} of ${formatBytes(progress.totalBytes)}`];
  if (progress.bytesPerSecond !== null) parts.push(`${formatBytes(progress.bytesPerSecond)}/s`);
  if (progress.etaMs !== null && progress.doneBytes !== progress.totalBytes) parts.push(`${formatDuration(progress.etaMs)} left`);
  return parts.join(' · ');
}

const STATE_TEXT: Record<Download['state'], string> = {
  running: 'Downloading',
  importing: 'Adding to the library',
  paused: 'Paused',
  failed: 'Failed',
  cancelled: 'Cancelled',
  completed: 'In the library',
};

/** "Downloading org/name", "Paused org/name (model-Q4_K_M.gguf)". */
export function downloadTitle(download: Pick<Download, 'state' | 'repo' | 'file'>): string {
  return `${STATE_TEXT[download.state]}: ${download.repo}${download.file ? ` (${download.file})` : ''}`;
}
