/**
 * The suite's file order (test/setup/sequencer.ts): a fresh clone, which has no record of how long each
 * file took, starts the fault scenarios first, then the other files of test/e2e/, then the rest, each
 * group largest first; files with a record keep vitest's order, failed first, then longest first.
 */
import { describe, expect, it } from 'vitest';
import type { TestSpecification } from 'vitest/node';
import { LongWaitsFirstSequencer, rankWithoutRecord } from '../setup/sequencer.js';

const ROOT = '/repo';

interface FileFacts {
  readonly path: string;
  readonly size: number;
  /** The recorded run, when there is one. */
  readonly recorded?: { duration: number; failed: boolean };
}

/** A sequencer over vitest's cache as it would hold these files, and the files as specifications. */
function sequencerOver(files: readonly FileFacts[]) {
  const byKey = new Map(files.map((f) => [`e2e:${f.path}`, f]));
  const ctx = {
    config: { root: ROOT },
    cache: {
      getFileTestResults: (key: string) => byKey.get(key)?.recorded,
      getFileStats: (key: string) => {
        const facts = byKey.get(key);
        return facts === undefined ? undefined : { size: facts.size };
      },
    },
  };
  const specs = files.map(
    (f) => ({ moduleId: `${ROOT}/${f.path}`, project: { name: 'e2e' } }) as unknown as TestSpecification,
  );
  return { sequencer: new LongWaitsFirstSequencer(ctx as never), specs };
}

const order = (sorted: TestSpecification[]) => sorted.map((s) => s.moduleId.slice(ROOT.length + 1));

describe('LongWaitsFirstSequencer', () => {
  it('ranks a file without a record by where it lives: fault scenarios, then test/e2e/, then the rest', () => {
    expect(rankWithoutRecord('test/faults/kinesis-outage.e2e.test.ts')).toBe(0);
    expect(rankWithoutRecord('test/e2e/redrive-raw-writer.test.ts')).toBe(1);
    expect(rankWithoutRecord('test/cli/dlq-redrive.e2e.test.ts')).toBe(2);
    expect(rankWithoutRecord('test/faults/fault-proxy-rules.test.ts')).toBe(2);
    expect(rankWithoutRecord('test/unit/core/decide-rules.test.ts')).toBe(2);
  });

  it('on a fresh clone, starts the fault scenarios, then test/e2e/, then the rest, each largest first', async () => {
    const { sequencer, specs } = sequencerOver([
      { path: 'test/cli/evaluate.e2e.test.ts', size: 9_000 },
      { path: 'test/e2e/export-rules.test.ts', size: 4_000 },
      { path: 'test/faults/sqs-restart.e2e.test.ts', size: 1_500 },
      { path: 'test/local/stack.e2e.test.ts', size: 7_000 },
      { path: 'test/e2e/ordering-and-dead-letters.test.ts', size: 8_000 },
      { path: 'test/faults/kinesis-outage.e2e.test.ts', size: 2_500 },
    ]);

    expect(order(await sequencer.sort(specs))).toEqual([
      'test/faults/kinesis-outage.e2e.test.ts',
      'test/faults/sqs-restart.e2e.test.ts',
      'test/e2e/ordering-and-dead-letters.test.ts',
      'test/e2e/export-rules.test.ts',
      'test/cli/evaluate.e2e.test.ts',
      'test/local/stack.e2e.test.ts',
    ]);
  });

  it('keeps vitest order for recorded files: unrecorded first, then failed, then longest', async () => {
    const { sequencer, specs } = sequencerOver([
      {
        path: 'test/faults/sqs-restart.e2e.test.ts',
        size: 1_500,
        recorded: { duration: 15_000, failed: false },
      },
      { path: 'test/cli/evaluate.e2e.test.ts', size: 9_000, recorded: { duration: 40_000, failed: false } },
      { path: 'test/local/stack.e2e.test.ts', size: 7_000, recorded: { duration: 3_000, failed: true } },
      { path: 'test/e2e/new-scenario.test.ts', size: 2_000 },
    ]);

    expect(order(await sequencer.sort(specs))).toEqual([
      'test/e2e/new-scenario.test.ts',
      'test/local/stack.e2e.test.ts',
      'test/cli/evaluate.e2e.test.ts',
      'test/faults/sqs-restart.e2e.test.ts',
    ]);
  });
});
