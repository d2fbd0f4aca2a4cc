// A build in progress in words: the builder's step, the bytes written (of the planner's figure
// when there is one) and the time left, e.g. "layer 3 of 24 · 120 MB of about 350 MB · about
// 1 min 10 s left". The parts the build worker has not told yet are left out.
import type { BuildProgress } from '../state/build-progress.ts';
import { formatBytes } from './format-bytes.ts';
import { formatDuration } from './format-duration.ts';

export function buildProgressText(progress: BuildProgress): string {
  const parts = [progress.label];
  if (progress.bytesWritten !== null && progress.bytesWritten > 0) {
    parts.push(progress.expectedBytes !== null ? `${formatBytes(progress.bytesWritten)} of about ${formatBytes(progress.expectedBytes)}` : `${formatBytes(progress.bytesWritten)} written`);
  }
  if (progress.etaMs !== null) parts.push(progress.etaMs < 1000 ? 'almost done' : `about ${formatDuration(progress.etaMs)} left`);
  return parts.join(' · ');
}
