// A DPO job's charts beside its loss curve, as TRL logs them: the implicit rewards of the chosen
// and rejected answers and their margin, and the preference accuracy (the share of pairs whose
// chosen answer's reward beats the rejected one's), per train step (lines) and at each
// evaluation (dashed, with points). Each figure carries the number of points it plots
// (data-points, data-eval-points) and says the latest values in words for screen readers.
import { useMemo } from 'react';
import type { JobMetric } from '../../../main/common/contracts/jobs.ts';
import { rewardSeries } from '../state/job-progress.ts';
import { MetricChart, type ChartLine } from './MetricChart.tsx';

const HEIGHT = 200;
const CHOSEN = '#2f8f4e';
const REJECTED = '#c0392b';
const MARGIN = '#6b4fbb';

function latest(metrics: readonly JobMetric[], key: 'rewards' | 'evalRewards') {
  const point = metrics.filter((m) => m[key]).at(-1);
  return point ? { step: point.step, rewards: point[key]! } : null;
}

function rewardsCaption(metrics: readonly JobMetric[]): string {
  const parts = [];
  const train = latest(metrics, 'rewards');
  const evaluation = latest(metrics, 'evalRewards');
  if (train) parts.push(`train at step ${train.step}: chosen ${train.rewards.chosen.toFixed(3)}, rejected ${train.rewards.rejected.toFixed(3)}, margin ${train.rewards.margin.toFixed(3)}`);
  if (evaluation) parts.push(`eval at step ${evaluation.step}: chosen ${evaluation.rewards.chosen.toFixed(3)}, rejected ${evaluation.rewards.rejected.toFixed(3)}, margin ${evaluation.rewards.margin.toFixed(3)}`);
  return parts.length ? `Rewards, ${parts.join('; ')}.` : 'No rewards reported yet.';
}

function accuracyCaption(metrics: readonly JobMetric[]): string {
  const parts = [];
  const train = latest(metrics, 'rewards');
  const evaluation = latest(metrics, 'evalRewards');
  if (train) parts.push(`train ${(100 * train.rewards.accuracy).toFixed(0)} % at step ${train.step}`);
  if (evaluation) parts.push(`eval ${(100 * evaluation.rewards.accuracy).toFixed(0)} % at step ${evaluation.step}`);
  return parts.length ? `Preference accuracy: ${parts.join('; ')}.` : 'No preference accuracy reported yet.';
}

const REWARD_LINES: readonly ChartLine[] = [
  { label: 'chosen (train)', stroke: CHOSEN },
  { label: 'rejected (train)', stroke: REJECTED },
  { label: 'margin (train)', stroke: MARGIN },
  { label: 'chosen (eval)', stroke: CHOSEN, evaluation: true, dashed: true },
  { label: 'rejected (eval)', stroke: REJECTED, evaluation: true, dashed: true },
  { label: 'margin (eval)', stroke: MARGIN, evaluation: true, dashed: true },
];
const ACCURACY_LINES: readonly ChartLine[] = [
  { label: 'accuracy (train)', stroke: CHOSEN },
  { label: 'accuracy (eval)', stroke: '#3b7dd8', evaluation: true, dashed: true },
];

export function PreferenceCharts({ metrics }: { metrics: readonly JobMetric[] }) {
  const series = useMemo(() => rewardSeries(metrics), [metrics]);
  return (
    <div className="preference-charts">
      <MetricChart label="Rewards chart" yLabel="reward" lines={REWARD_LINES} data={series.rewards} height={HEIGHT} caption={rewardsCaption(metrics)} />
      <MetricChart label="Preference accuracy chart" yLabel="accuracy" lines={ACCURACY_LINES} data={series.accuracy} height={HEIGHT} range={[0, 1]} caption={accuracyCaption(metrics)} />
    </div>
  );
}
