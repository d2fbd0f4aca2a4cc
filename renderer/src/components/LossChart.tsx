// The live loss curve of a fine-tune job: train loss per step and eval loss where the job
// evaluated, drawn by uPlot on a canvas (uPlot sets element styles through the CSSOM, which the
// strict style-src policy allows). The figure carries the number of points it plots
// (data-points, data-eval-points) and says the latest values in words for screen readers.
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { JobMetric } from '../../../main/common/contracts/jobs.ts';
import { lossSeries } from '../state/job-progress.ts';

const HEIGHT = 240;
const MIN_WIDTH = 280;

function cssColor(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function options(width: number): uPlot.Options {
  const text = cssColor('--muted', '#6b6b66');
  const grid = cssColor('--border', '#d9d9d4');
  const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  return {
    width,
    height: HEIGHT,
    scales: { x: { time: false } },
    axes: [
      { ...axis, label: 'step' },
      { ...axis, label: 'loss' },
    ],
    series: [
      { label: 'step' },
      { label: 'train loss', stroke: cssColor('--accent', '#b4532a'), width: 2 },
      { label: 'eval loss', stroke: '#3b7dd8', width: 2, spanGaps: true, points: { show: true, size: 6 } },
    ],
    legend: { live: false },
  };
}

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
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = useMemo(() => lossSeries(metrics), [metrics]);

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const chart = new uPlot(options(Math.max(MIN_WIDTH, element.clientWidth)), [[], [], []], element);
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

  const trainPoints = data[1].filter((v) => v !== null).length;
  const evalPoints = data[2].filter((v) => v !== null).length;
  return (
    <figure className="loss-chart" aria-label="Loss chart" data-points={trainPoints} data-eval-points={evalPoints}>
      <div ref={container} className="loss-chart-canvas" />
      <figcaption className="muted">{describe(metrics)}</figcaption>
    </figure>
  );
}
