import { describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../core/metric-names.js';
import { STACK_OUTPUT } from '../../core/stack-outputs.js';
import { STATE_KEY_PREFIX } from '../../core/state-records.js';
import { type SingleSourceFact, scanSource, sourcePaths, whereWritten, writesFact } from './source-scan.js';

/**
 * Facts the non-test source writes in exactly one file (issue 18: "grep finds … in exactly one
 * non-test source file"). A fact is recognized as code — a string literal, a template part, or a
 * pattern over the code with its comments left out — so a comment or a doc line that names it does
 * not count, and a message that interpolates it does not either.
 *
 * To add one, add an entry. The export function's last-attempt rule (`mustDeadLetter`: a third real
 * attempt, or the backstop receive) is one: before issue 18 it was written as
 * `receiveCount >= maxReceiveCount` in lambdas/export/export-batch.ts (twice) and export-report.ts
 * (twice); local/event-sources/fifo-groups.ts writes a receive-count comparison for the queue's own
 * redrive policy, which is a different fact (the emulated queue), so the patterns name the function's
 * settings object.
 */
const SINGLE_SOURCE_FACTS: readonly SingleSourceFact[] = [
  {
    fact: 'last-attempt rule: attempts used up',
    code: /attempts\s*>=\s*[\w.]*settings\.attempts/g,
    owner: 'core/export-machine.ts',
  },
  {
    fact: 'last-attempt rule: the backstop receive',
    code: /receiveCount\s*>=\s*settings\.maxReceiveCount/g,
    owner: 'core/export-machine.ts',
  },
  ...Object.values(STATE_KEY_PREFIX).map((prefix) => ({
    fact: `state-table key prefix ${prefix}`,
    prefix,
    owner: 'core/state-records.ts',
  })),
  ...METRIC_NAMES.map((literal) => ({ fact: `metric ${literal}`, literal, owner: 'core/metric-names.ts' })),
  ...Object.values(STACK_OUTPUT).map((literal) => ({
    fact: `stack output ${literal}`,
    literal,
    owner: 'core/stack-outputs.ts',
  })),
];

describe('one source file per fact', () => {
  const sources = sourcePaths().map((path) => scanSource(path));

  it('reads the non-test source: every module folder, no test and no declaration file', () => {
    const paths = sources.map((s) => s.path);

    for (const folder of [
      'adapters/',
      'bench/',
      'bin/',
      'cli/',
      'core/',
      'examples/',
      'lambdas/',
      'lib/',
      'local/',
    ])
      expect(
        paths.some((p) => p.startsWith(folder)),
        folder,
      ).toBe(true);
    expect(paths.filter((p) => p.startsWith('test/') || p.endsWith('.d.ts'))).toEqual([]);
  });

  it('finds each fact in exactly its owner file', () => {
    const misplaced = [...whereWritten(sources, SINGLE_SOURCE_FACTS)]
      .filter(([fact, files]) => files.length !== 1 || (fact.owner !== undefined && files[0] !== fact.owner))
      .map(([fact, files]) => `${fact.fact}: ${files.length === 0 ? 'in no file' : files.join(', ')}`);

    expect(misplaced).toEqual([]);
  });
});

describe('scanSource()', () => {
  const source = scanSource(
    'example.ts',
    `/** The ledger's \`delivered#<destination>#<profile>\` entries; 'RecordsPut' in a doc comment. */
const key = (d: string, p: string) => \`delivered#\${d}#\${p}\`; // not 'failure#' either
const name = 'RecordsPut';
const message = \`stack output \${'ExportRoleArn'}.\`;
const last = item.receiveCount >= deps.maxReceiveCount; /* receiveCount >= x */
`,
  );
  const writes = (match: { literal: string } | { prefix: string } | { code: RegExp }) =>
    writesFact(source, { fact: 'test', ...match });

  it('finds literals, template parts and code, and nothing in comments', () => {
    expect(writes({ prefix: 'delivered#' })).toBe(true);
    expect(writes({ prefix: 'failure#' })).toBe(false);
    expect(writes({ literal: 'RecordsPut' })).toBe(true);
    expect(writes({ literal: 'ExportRoleArn' })).toBe(true);
    expect(writes({ literal: 'Records' })).toBe(false);
    expect(writes({ code: /receiveCount\s*>=\s*[\w.]*maxReceiveCount/g })).toBe(true);
    expect(writes({ code: /receiveCount >= x/ })).toBe(false);
  });
});
