// The live loss curve of a fine-tune job: train loss per step and eval loss where the job
// evaluated (see MetricChart), with the latest values in words for screen readers.
import { useMemo } from 'react';
import type { JobMetric } from '../../../main/common/contracts/jobs.ts';
import { lossSeries } from '../state/job-progress.ts';
import { cssColor, MetricChart, type ChartLine } from './MetricChart.tsx';

const HEIGHT = 240;

function describe(metrics: readonly JobMetric[]): string {
  const train = metrics.filter((m) => m.trainLoss !== null).at(-1);
  const evaluation = metrics.filter((m) => m.evalLoss !== null).at(-1);
  if (!train && !evaluation) return 'No loss reported yet.';
  const parts = [];
  if (train) parts.push(`train loss ${train.trainLoss!.toFixed(3)} at step ${train.step}`);
  if (evaluation) parts.push(`eval loss ${evaluation.evalLoss!.toFixed(3)} at step ${evaluation.step}`);
  return `Latest: ${parts.join('; ')}.`;
}

export function LossChart({ metrics }: { metrics: readonly JobMetric[] }) {
  const data = useMemo(() => lossSeries(metrics), [metrics]);
  const lines = useMemo<ChartLine[]>(
    () => [
      { label: 'train loss', stroke: cssColor('--accent', '#b4532a') },
      { label: 'eval loss', stroke: '#3b7dd8', evaluation: true },
    ],
    [],
  );
  return <MetricChart label="Loss chart" yLabel="loss" lines={lines} data={data} height={HEIGHT} caption={describe(metrics)} />;
}
