/** The funnel's trend as a uPlot line chart: cumulative deliveries (solid) and dead letters (dashed) per destination. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { TrendPoint } from '../api-types.js';
import { html } from './html.js';

/** One colour per destination, in order (colour-blind safe, Okabe–Ito). */
const COLOURS = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00'];

/** The chart's columns: time in seconds, then delivered and dead-lettered per destination. */
function columns(trend: readonly TrendPoint[], ids: readonly string[]): uPlot.AlignedData {
  const x = trend.map((p) => p.t / 1000);
  const series = ids.flatMap((id) => [
    trend.map((p) => p.destinations[id]?.delivered ?? 0),
    trend.map((p) => p.destinations[id]?.deadLettered ?? 0),
  ]);
  return [x, ...series];
}

function options(ids: readonly string[], width: number): uPlot.Options {
  return {
    width,
    height: 220,
    cursor: { drag: { x: false, y: false } },
    legend: { live: false },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] } },
    axes: [
      {
        stroke: '#5b6472',
        grid: { stroke: '#eef0f3' },
        space: 90,
        values: (_u, splits) => splits.map((s) => new Date(s * 1000).toLocaleTimeString()),
      },
      { stroke: '#5b6472', grid: { stroke: '#eef0f3' }, label: 'records (cumulative)', size: 56 },
    ],
    series: [
      {},
      ...ids.flatMap((id, i) => {
        const stroke = COLOURS[i % COLOURS.length] as string;
        return [
          { label: `${id} delivered`, stroke, width: 2, points: { show: false } },
          { label: `${id} dead-lettered`, stroke, width: 1.5, dash: [6, 4], points: { show: false } },
        ];
      }),
    ],
  };
}

/** The trend chart; created once per set of destinations, its data replaced on every poll. */
export function TrendChart(props: { trend: readonly TrendPoint[]; ids: readonly string[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const key = props.ids.join('\u0000');

  useEffect(() => {
    const element = box.current;
    if (element === null) return undefined;
    const chart = new uPlot(options(props.ids, element.clientWidth || 600), columns([], props.ids), element);
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: element.clientWidth, height: 220 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [key]);

  useEffect(() => {
    plot.current?.setData(columns(props.trend, props.ids));
  }, [props.trend, key]);

  return html`<div class="chart" data-testid="trend-chart" ref=${box}></div>`;
}
