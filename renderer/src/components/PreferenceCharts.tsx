// A DPO job's charts beside its loss curve, as TRL logs them: the implicit rewards of the chosen
// and rejected answers and their margin, and the preference accuracy (the share of pairs whose
// chosen answer's reward beats the rejected one's), per train step (lines) and at each
// evaluation (dashed, with points). Each figure carries the number of points it plots
// (data-points, data-eval-points) and says the latest values in words for screen readers.
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { JobMetric } from '../../../main/common/contracts/jobs.ts';
import { rewardSeries } from '../state/job-progress.ts';

const HEIGHT = 200;
const MIN_WIDTH = 280;
const CHOSEN = '#2f8f4e';
const REJECTED = '#c0392b';
const MARGIN = '#6b4fbb';
const EVAL_DASH = [6, 4];

function cssColor(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

interface Line {
  label: string;
  stroke: string;
  evaluation?: boolean;
}

function options(width: number, yLabel: string, lines: readonly Line[], range?: [number, number]): uPlot.Options {
  const text = cssColor('--muted', '#6b6b66');
  const grid = cssColor('--border', '#d9d9d4');
  const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  return {
    width,
    height: HEIGHT,
    scales: { x: { time: false }, ...(range ? { y: { range } } : {}) },
    axes: [
      { ...axis, label: 'step' },
      { ...axis, label: yLabel },
    ],
    series: [
      { label: 'step' },
      ...lines.map((line) => (line.evaluation ? { label: line.label, stroke: line.stroke, width: 2, dash: EVAL_DASH, spanGaps: true, points: { show: true, size: 6 } } : { label: line.label, stroke: line.stroke, width: 2 })),
    ],
    legend: { live: false },
  };
}

/** One uPlot chart, created once and fed new data as the job reports. */
function SeriesChart({ label, yLabel, lines, data, range, caption }: { label: string; yLabel: string; lines: readonly Line[]; data: uPlot.AlignedData; range?: [number, number]; caption: string }) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const initial = useRef({ yLabel, lines, range });

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const { yLabel: y, lines: l, range: r } = initial.current;
    const chart = new uPlot(options(Math.max(MIN_WIDTH, element.clientWidth), y, l, r), [[], ...l.map(() => [])], element);
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(MIN_WIDTH, element.clientWidth), height: HEIGHT }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  const count = (pick: (line: Line) => boolean) => Math.max(0, ...lines.map((line, i) => (pick(line) ? (data[i + 1] as (number | null)[]).filter((v) => v !== null).length : 0)));
  return (
    <figure className="loss-chart" aria-label={label} data-points={count((l) => !l.evaluation)} data-eval-points={count((l) => Boolean(l.evaluation))}>
      <div ref={container} className="loss-chart-canvas" />
      <figcaption className="muted">{caption}</figcaption>
    </figure>
  );
}

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

const REWARD_LINES: readonly Line[] = [
  { label: 'chosen (train)', stroke: CHOSEN },
  { label: 'rejected (train)', stroke: REJECTED },
  { label: 'margin (train)', stroke: MARGIN },
  { label: 'chosen (eval)', stroke: CHOSEN, evaluation: true },
  { label: 'rejected (eval)', stroke: REJECTED, evaluation: true },
  { label: 'margin (eval)', stroke: MARGIN, evaluation: true },
];
const ACCURACY_LINES: readonly Line[] = [
  { label: 'accuracy (train)', stroke: CHOSEN },
  { label: 'accuracy (eval)', stroke: '#3b7dd8', evaluation: true },
];

export function PreferenceCharts({ metrics }: { metrics: readonly JobMetric[] }) {
  const series = useMemo(() => rewardSeries(metrics), [metrics]);
  return (
    <div className="preference-charts">
      <SeriesChart label="Rewards chart" yLabel="reward" lines={REWARD_LINES} data={series.rewards} caption={rewardsCaption(metrics)} />
      <SeriesChart label="Preference accuracy chart" yLabel="accuracy" lines={ACCURACY_LINES} data={series.accuracy} range={[0, 1]} caption={accuracyCaption(metrics)} />
    </div>
  );
}
