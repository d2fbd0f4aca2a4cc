// A fine-tune job as the page shows it, kept current by the 'job.progress' events: the state
// and step, and the loss curve, one point per step (an evaluation fills in its step's eval
// loss). A resume from an earlier checkpoint trains the steps after it again, so the curve is
// cut back to that step first: it continues, and never restarts from 0.
import type { ApiEvent } from '../../../main/common/contracts/events.ts';
import type { Job, JobDetail, JobMetric } from '../../../main/common/contracts/jobs.ts';

export type JobProgressEvent = Extract<ApiEvent, { type: 'job.progress' }>;

function withProgress<T extends Job>(job: T, event: JobProgressEvent): T {
  const step = event.evalLoss === undefined || event.evalLoss === null ? event.step : Math.max(job.progress.step, event.step);
  return { ...job, state: event.state, progress: { step, totalSteps: event.totalSteps ?? job.progress.totalSteps, etaMs: event.etaMs } };
}

/** The list with the event's job moved to its new state and step (other jobs unchanged). */
export function applyProgressToList(jobs: readonly Job[], event: JobProgressEvent): Job[] {
  return jobs.map((job) => (job.id === event.jobId ? withProgress(job, event) : job));
}

function upsert(metrics: JobMetric[], step: number, values: Partial<JobMetric>): JobMetric[] {
  const index = metrics.findIndex((m) => m.step === step);
  if (index >= 0) return metrics.map((m, i) => (i === index ? { ...m, ...values } : m));
  const point: JobMetric = { step, trainLoss: null, evalLoss: null, lr: null, tokensPerSecond: null, ...values };
  return [...metrics, point].sort((a, b) => a.step - b.step);
}

/** The viewed job after an event (events of other jobs leave it as it is). */
export function applyProgressToDetail(detail: JobDetail, event: JobProgressEvent): JobDetail {
  if (detail.id !== event.jobId) return detail;
  let metrics = detail.metrics;
  if (event.evalLoss !== undefined && event.evalLoss !== null) {
    metrics = upsert(metrics, event.step, { evalLoss: event.evalLoss, ...(event.rewards ? { evalRewards: event.rewards } : {}) });
  } else if (event.trainLoss !== null) {
    metrics = upsert(metrics, event.step, { trainLoss: event.trainLoss, lr: event.lr ?? null, tokensPerSecond: event.tokensPerSecond ?? null, ...(event.rewards ? { rewards: event.rewards } : {}) });
  } else if (event.state === 'running') {
    // A state or resume report: the job stands at event.step, so later points are to be trained again.
    metrics = metrics.filter((m) => m.step <= event.step);
  }
  return { ...withProgress(detail, event), metrics };
}

/** uPlot's data: steps, then train and eval loss per step (null where a step has none). */
export function lossSeries(metrics: readonly JobMetric[]): [number[], (number | null)[], (number | null)[]] {
  const sorted = [...metrics].sort((a, b) => a.step - b.step);
  return [sorted.map((m) => m.step), sorted.map((m) => m.trainLoss), sorted.map((m) => m.evalLoss)];
}

type Series = (number | null)[];

/**
 * uPlot's data for a DPO job's reward charts: steps, then per step the train and eval values of
 * the chosen and rejected rewards and their margin, and (second chart) the preference accuracy.
 */
export function rewardSeries(metrics: readonly JobMetric[]): { rewards: [number[], Series, Series, Series, Series, Series, Series]; accuracy: [number[], Series, Series] } {
  const sorted = [...metrics].sort((a, b) => a.step - b.step);
  const steps = sorted.map((m) => m.step);
  const train = (pick: (r: NonNullable<JobMetric['rewards']>) => number) => sorted.map((m) => (m.rewards ? pick(m.rewards) : null));
  const evaluation = (pick: (r: NonNullable<JobMetric['rewards']>) => number) => sorted.map((m) => (m.evalRewards ? pick(m.evalRewards) : null));
  return {
    rewards: [steps, train((r) => r.chosen), train((r) => r.rejected), train((r) => r.margin), evaluation((r) => r.chosen), evaluation((r) => r.rejected), evaluation((r) => r.margin)],
    accuracy: [steps, train((r) => r.accuracy), evaluation((r) => r.accuracy)],
  };
}
