// One live chart of a fine-tune job: a series per line against the step, drawn by uPlot on a
// canvas (uPlot sets element styles through the CSSOM, which the strict style-src policy
// allows), created once and fed new data as the job reports. Evaluation lines join their points
// across the steps without one. The figure carries the number of points it plots (data-points
// for the train lines, data-eval-points for the evaluation lines) and a caption in words.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const MIN_WIDTH = 280;

export interface ChartLine {
  label: string;
  stroke: string;
  /** Values only at evaluations: drawn with points, joined across the steps between. */
  evaluation?: boolean;
  dashed?: boolean;
}

export interface MetricChartProps {
  /** The figure's accessible name. */
  label: string;
  yLabel: string;
  /** Read once, when the chart is created. */
  lines: readonly ChartLine[];
  /** Steps, then one series per line (null where a step has no value). */
  data: uPlot.AlignedData;
  height: number;
  /** A fixed y range (else fitted to the data). */
  range?: [number, number];
  caption: string;
}

export function cssColor(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function options(width: number, { yLabel, lines, height, range }: Pick<MetricChartProps, 'yLabel' | 'lines' | 'height' | 'range'>): uPlot.Options {
  const text = cssColor('--muted', '#6b6b66');
  const grid = cssColor('--border', '#d9d9d4');
  const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  return {
    width,
    height,
    scales: { x: { time: false }, ...(range ? { y: { range } } : {}) },
    axes: [
      { ...axis, label: 'step' },
      { ...axis, label: yLabel },
    ],
    series: [
      { label: 'step' },
      ...lines.map((line) => ({
        label: line.label,
        stroke: line.stroke,
        width: 2,
        ...(line.dashed ? { dash: [6, 4] } : {}),
        ...(line.evaluation ? { spanGaps: true, points: { show: true, size: 6 } } : {}),
      })),
    ],
    legend: { live: false },
  };
}

export function MetricChart({ label, yLabel, lines, data, height, range, caption }: MetricChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const settings = useRef({ yLabel, lines, height, range });

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const chosen = settings.current;
    const chart = new uPlot(options(Math.max(MIN_WIDTH, element.clientWidth), chosen), [[], ...chosen.lines.map(() => [])], element);
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(MIN_WIDTH, element.clientWidth), height: chosen.height }));
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

  const points = (evaluation: boolean) => Math.max(0, ...lines.map((line, i) => (Boolean(line.evaluation) === evaluation ? (data[i + 1] as (number | null)[]).filter((v) => v !== null).length : 0)));
  return (
    <figure className="loss-chart" aria-label={label} data-points={points(false)} data-eval-points={points(true)}>
      <div ref={container} className="loss-chart-canvas" />
      <figcaption className="muted">{caption}</figcaption>
    </figure>
  );
}
