/** The funnel per destination: one column per destination, one row per stage, and the trend chart. */
import type { ConsoleOverview, FunnelDestination } from '../api-types.js';
import { byReason, duration, total } from './format.js';
import { html } from './html.js';
import { TrendChart } from './trend-chart.js';

interface Stage {
  readonly key: string;
  readonly label: string;
  readonly value: (d: FunnelDestination) => number;
  readonly detail?: (d: FunnelDestination) => string;
  readonly tone?: 'good' | 'bad';
}

const STAGES: readonly Stage[] = [
  { key: 'evaluated', label: 'evaluated', value: (d) => d.evaluated },
  {
    key: 'exported',
    label: 'exported',
    value: (d) => total(d.exported),
    detail: (d) => byReason(d.exported),
  },
  { key: 'skipped', label: 'skipped', value: (d) => total(d.skipped), detail: (d) => byReason(d.skipped) },
  {
    key: 'rejected',
    label: 'rejected',
    value: (d) => total(d.rejected),
    detail: (d) => byReason(d.rejected),
  },
  { key: 'delivered', label: 'delivered', value: (d) => d.delivered, tone: 'good' },
  { key: 'retried', label: 'retried', value: (d) => d.retried },
  { key: 'deadLettered', label: 'dead-lettered', value: (d) => d.deadLettered, tone: 'bad' },
  { key: 'redriven', label: 'redriven', value: (d) => d.redriven },
];

function Destination(props: { d: FunnelDestination }) {
  const { d } = props;
  return html`<div class="funnel-card" data-testid=${`funnel-${d.id}`}>
    <h3>${d.id}</h3>
    <table class="stages">
      <tbody>
        ${STAGES.map((s) => {
          const n = s.value(d);
          const tone = n > 0 && s.tone !== undefined ? s.tone : '';
          return html`<tr key=${s.key}>
            <th>${s.label}</th>
            <td class=${`count ${tone}`} data-testid=${`funnel-${d.id}-${s.key}`}>${n}</td>
            <td class="detail">${s.detail === undefined || n === 0 ? '' : s.detail(d)}</td>
          </tr>`;
        })}
        <tr>
          <th>latency</th>
          <td class="count" data-testid=${`funnel-${d.id}-p95`}>${duration(d.latencyMs.p95)}</td>
          <td class="detail">p50 ${duration(d.latencyMs.p50)} · max ${duration(d.latencyMs.max)}</td>
        </tr>
      </tbody>
    </table>
    ${d.alarms.length > 0 && html`<p class="alarms">in ALARM: ${d.alarms.join(', ')}</p>`}
  </div>`;
}

/** The funnel panel. */
export function FunnelPanel(props: { overview: ConsoleOverview }) {
  const { funnel, trend, funnelSource } = props.overview;
  const ids = funnel.destinations.map((d) => d.id);
  return html`<section class="panel funnel" data-testid="funnel">
    <header>
      <h2>Funnel per destination</h2>
      <span class="hint">since ${new Date(funnel.window.from).toLocaleTimeString()} · ${funnelSource}</span>
    </header>
    <div class="funnel-cards">${funnel.destinations.map((d) => html`<${Destination} key=${d.id} d=${d} />`)}</div>
    <${TrendChart} trend=${trend} ids=${ids} />
  </section>`;
}
