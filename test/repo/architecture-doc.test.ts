import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { DEPLOYMENT_SOURCES } from '../../cli/deployment.js';
import { VARIABLE } from '../../core/environment-variables.js';
import {
  FUNNEL_METRIC,
  FUNNEL_REASON_STAGES,
  FUNNEL_SINGLE_STAGES,
  METRIC_DIMENSION,
  METRICS,
  METRICS_NAMESPACE,
  SERVICE_NAME,
} from '../../core/metric-names.js';
import { STATE_RECORDS, STATE_TABLE_ATTRIBUTE } from '../../core/state-records.js';
import { ROOT } from './source-scan.js';

/**
 * docs/ARCHITECTURE.md's tables of the state table, the metrics and the stack outputs the CLI reads
 * are rendered here from their single sources and compared with the doc's sections between
 * `<!-- generated:<name> … -->` and `<!-- /generated:<name> -->`. After changing a source, rewrite
 * them with `UPDATE_DOCS=1 npx vitest run test/repo/architecture-doc.test.ts`.
 */

const DOC = join(ROOT, 'docs/ARCHITECTURE.md');

const code = (text: string) => `\`${text}\``;
const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
const table = (head: readonly string[], rows: readonly (readonly string[])[]) =>
  [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');

/** One attribute of a stored record: its name, and its description and optionality when it has them. */
function attribute(name: string, schema: z.ZodType): string {
  const notes = [schema.description, schema.safeParse(undefined).success ? 'optional' : undefined].filter(
    (n): n is string => n !== undefined,
  );
  return notes.length === 0 ? code(name) : `${code(name)} (${notes.join('; ')})`;
}

const SECTIONS: Record<string, { readonly source: string; readonly render: () => string }> = {
  'state-table': {
    source: 'core/state-records.ts',
    render: () =>
      [
        `Table ${code(VARIABLE.stateTableName)}: partition key ${code(STATE_TABLE_ATTRIBUTE.partitionKey)} (string), TTL attribute ${code(STATE_TABLE_ATTRIBUTE.timeToLive)}.`,
        '',
        table(
          [STATE_TABLE_ATTRIBUTE.partitionKey, 'attributes', 'meaning'],
          STATE_RECORDS.map((r) => [
            code(r.key),
            Object.entries(r.schema.shape)
              .filter(([name]) => name !== STATE_TABLE_ATTRIBUTE.partitionKey)
              .map(([name, schema]) => attribute(name, schema as z.ZodType))
              .join(', '),
            r.meaning,
          ]),
        ),
      ].join('\n'),
  },
  metrics: {
    source: 'core/metric-names.ts',
    render: () =>
      [
        `Namespace ${code(METRICS_NAMESPACE)}, dimensions ${code(`${METRIC_DIMENSION.service}=${SERVICE_NAME}`)} and ${code(`${METRIC_DIMENSION.pipeline}=<pipeline name>`)} (\`KD_PIPELINE_NAME\`; the local stack emits \`service\` alone).`,
        '',
        `The \`Funnel*\` metrics carry a third dimension, ${code(`${METRIC_DIMENSION.destination}=<destination id>`)}: one EMF document per destination per invocation holds all of that destination's funnel counts (and its \`${FUNNEL_METRIC.latency}\` values). Their stages, as \`kinesis-destination status\` reads them (\`FUNNEL_METRIC\`):`,
        '',
        table(
          ['stage', 'metrics'],
          [
            ...FUNNEL_SINGLE_STAGES.map((stage) => [stage, code(FUNNEL_METRIC[stage])]),
            ...FUNNEL_REASON_STAGES.map((stage) => [
              `${stage} (by reason)`,
              Object.entries(FUNNEL_METRIC[stage])
                .map(([reason, name]) => `${reason}: ${code(name)}`)
                .join(', '),
            ]),
            ['latency (p50/p95/max)', code(FUNNEL_METRIC.latency)],
          ],
        ),
        '',
        table(
          ['metric', 'unit', 'emitted by'],
          Object.values(METRICS).map((m) => [code(m.name), m.unit, m.meaning]),
        ),
      ].join('\n'),
  },
  'cli-outputs': {
    source: 'cli/deployment.ts and core/stack-outputs.ts',
    render: () =>
      table(
        ['variable', 'stack output'],
        Object.values(DEPLOYMENT_SOURCES).map((s) => [code(s.env), code(s.output)]),
      ),
  },
};

/** A section's text between its markers: blank lines keep the markers out of the table's block. */
const framed = (text: string) => `\n${text}\n\n`;

const START = (name: string) => new RegExp(`<!-- generated:${name}\\b[^>]*-->\\n`);
const END = (name: string) => `<!-- /generated:${name} -->`;

/** The doc's text between a section's markers. @throws when a marker is missing. */
function section(doc: string, name: string): { readonly start: number; readonly end: number } {
  const open = START(name).exec(doc);
  const end = doc.indexOf(END(name));
  if (open === null || end < 0) throw new Error(`docs/ARCHITECTURE.md has no generated:${name} section`);
  return { start: open.index + open[0].length, end };
}

describe('docs/ARCHITECTURE.md', () => {
  if (process.env.UPDATE_DOCS === '1') {
    let doc = readFileSync(DOC, 'utf8');
    for (const [name, { render }] of Object.entries(SECTIONS)) {
      const { start, end } = section(doc, name);
      doc = `${doc.slice(0, start)}${framed(render())}${doc.slice(end)}`;
    }
    writeFileSync(DOC, doc);
  }
  const doc = readFileSync(DOC, 'utf8');

  it.each(Object.entries(SECTIONS))('shows the %s table its source renders', (name, { source, render }) => {
    const { start, end } = section(doc, name);

    expect(
      doc.slice(start, end),
      `rendered from ${source}: rewrite with UPDATE_DOCS=1 npx vitest run test/repo/architecture-doc.test.ts`,
    ).toBe(framed(render()));
  });

  it('marks each generated section as such, naming its source', () => {
    for (const [name, { source }] of Object.entries(SECTIONS)) {
      expect(doc).toMatch(new RegExp(`<!-- generated:${name} from ${source.replace(/[.]/g, '\\.')} `));
    }
  });
});
