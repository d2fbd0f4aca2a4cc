// How a fine-tune job is named and how far it is, in words: "greet.jsonl on Shakespeare 5M",
// "Step 12 of 60 · about 10 s left".
import type { Job } from '../../../main/common/contracts/jobs.ts';
import { formatDuration } from './format-duration.ts';

export function fileName(path: string | null): string {
  if (!path) return 'unknown data';
  return path.split(/[\\/]/).pop() || path;
}

export function jobTitle(job: Job, modelName: string | undefined): string {
  return `${fileName(job.trainPath)} on ${modelName ?? 'a deleted model'}`;
}

const STATE_WORDS: Record<Job['state'], string> = {
  queued: 'Queued',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export function stateText(job: Job): string {
  return STATE_WORDS[job.state];
}

export function progressText(job: Job): string {
  const { step, totalSteps, etaMs } = job.progress;
  const steps = totalSteps === null ? (job.state === 'running' ? 'Preparing the data and the training graph…' : `Step ${step}`) : `Step ${step} of ${totalSteps}`;
  const eta = job.state === 'running' && etaMs !== null && totalSteps !== null && step > 0 ? ` · about ${formatDuration(etaMs)} left` : '';
  return `${steps}${eta}`;
}
