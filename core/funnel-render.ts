/**
 * The funnel as text: the table `kinesis-destination status` prints and `npm start` ends with. Pure.
 */
import {
  FUNNEL_STAGES,
  type FunnelStage,
  type FunnelView,
  LATENCY_PROMISE_MS,
  sparkline,
  totalOf,
} from './funnel.js';
import type { CountsByReason, FunnelDestination } from './funnel-types.js';

const LABEL: Readonly<Record<FunnelStage, string>> = {
  evaluated: 'evaluated',
  exported: 'exported',
  skipped: 'skipped',
  rejected: 'rejected',
  delivered: 'delivered',
  retried: 'retried',
  deadLettered: 'dead-lettered',
  redriven: 'redriven',
};

function reasons(counts: CountsByReason): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
}

function countOf(row: FunnelDestination, stage: FunnelStage): { n: number; detail: string } {
  switch (stage) {
    case 'exported':
    case 'skipped':
    case 'rejected':
      return { n: totalOf(row[stage]), detail: reasons(row[stage]) };
    default:
      return { n: row[stage], detail: '' };
  }
}

function ms(value: number | null): string {
  if (value === null) return '–';
  return value < 10_000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
}

function bucketLabel(bucketMs: number): string {
  const minutes = bucketMs / 60_000;
  return minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((c, i) => (i === 1 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
    .join('  ')
    .trimEnd();
}

/**
 * The funnel of each destination: one row per stage (count, reasons, trend sparkline), the latency
 * (p50/p95/max) against the page's 10-minute promise, and the alarms in ALARM.
 */
export function renderFunnel(view: FunnelView): string {
  const { report } = view;
  const lines = [
    `funnel ${report.window.from} → ${report.window.to} (trend: ${bucketLabel(view.bucketMs)} per bar, oldest first)`,
  ];
  if (report.destinations.length === 0) lines.push('no destination');
  for (const row of report.destinations) {
    const trend = view.trends[row.id];
    const cells = FUNNEL_STAGES.map((stage) => {
      const { n, detail } = countOf(row, stage);
      return [LABEL[stage], String(n), sparkline(trend?.[stage] ?? []), detail];
    });
    const header = ['stage', 'count', 'trend', 'by reason'];
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
    lines.push('', `destination ${row.id}`, pad(header, widths), ...cells.map((c) => pad(c, widths)));
    const { p50, p95, max } = row.latencyMs;
    const verdict =
      p95 === null
        ? 'no delivery'
        : p95 <= LATENCY_PROMISE_MS
          ? 'within the 10-minute promise'
          : 'OVER the 10-minute promise';
    lines.push(
      `latency (write → Kinesis, first attempts): p50 ${ms(p50)}, p95 ${ms(p95)} (${verdict}), max ${ms(max)}`,
    );
    lines.push(`alarms in ALARM: ${row.alarms.length === 0 ? 'none' : row.alarms.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}
