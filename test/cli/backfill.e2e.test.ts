/**
 * End to end on the local stack, through the real decide and export functions: N profiles are
 * already members of a segment when it is mapped; the backfill (interrupted, then resumed with
 * --resume) exports each of the N to Kinesis exactly once; profiles outside the segment (another
 * segment, or exited from it) are not exported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillFromCli } from '../../cli/backfill.js';
import type { MappedSegment } from '../../core/config.js';
import type { LocalStack } from '../../local/stack.js';
import { config as configOf, destination, mapping, membership, segment } from '../helpers/factories.js';
import { startTestStack, writeTo } from '../helpers/stack.js';

const SEG_LIVE = 'seg-already-mapped';
const SEG_NEW = 'seg-newly-mapped';
const SEG_OTHER = 'seg-never-mapped';

const segmentCatalog = [
  segment({ id: SEG_LIVE }),
  segment({ id: SEG_NEW }),
  segment({ id: SEG_OTHER, mergePolicyId: 'mp-other' }),
];
const marketing = (...segments: MappedSegment[]) =>
  destination({ streamName: 'backfill-e2e', segments, attributes: ['person.name.lastName'] });
/** What is deployed while the profiles qualify: SEG_NEW is not mapped yet. */
const before = configOf({
  destinations: [marketing(mapping(SEG_LIVE, 1_600_000_000_000))],
  segmentCatalog,
});
/** The config change that maps SEG_NEW: the backfill runs with it. */
const after = configOf({
  destinations: [marketing(mapping(SEG_LIVE, 1_600_000_000_000), mapping(SEG_NEW, 1_700_000_000_000))],
  segmentCatalog,
});

const N = 40;
const at = '2024-01-01T00:00:00Z';
const members = Array.from({ length: N }, (_, i) => `member-${i}`);
const outsiders = Array.from({ length: 12 }, (_, i) => `outsider-${i}`);
const live = Array.from({ length: 4 }, (_, i) => `live-${i}`);

function doc(
  profileId: string,
  segmentId: string,
  status: 'realized' | 'existing' | 'exited',
  lastName = profileId,
) {
  return {
    profileId,
    person: { name: { lastName } },
    identityMap: { ecid: [{ id: `ecid-${profileId}` }] },
    segmentMembership: { ups: { [segmentId]: membership(status, at) } },
  };
}

let stack: LocalStack;
const quiet = { write: () => true, isTTY: false };

beforeAll(async () => {
  stack = await startTestStack({ config: before });
});

afterAll(async () => {
  await stack?.stop();
});

describe('historical backfill on the local stack', () => {
  it('exports each member of the newly mapped segment exactly once, across an interrupted and resumed run', async () => {
    await writeTo(stack, [
      ...members.map((id, i) => doc(id, SEG_NEW, i % 3 === 0 ? 'existing' : 'realized')),
      ...outsiders.map((id, i) =>
        doc(id, i % 2 === 0 ? SEG_OTHER : SEG_NEW, i % 2 === 0 ? 'realized' : 'exited'),
      ),
      ...live.map((id) => doc(id, SEG_LIVE, 'realized')),
    ]);
    await stack.waitForIdle({ timeoutMs: 60_000 });
    // Before the mapping only the already-mapped segment's members were exported (live).
    const liveRecords = await stack.readRecords('marketing');
    expect(liveRecords.map((r) => r.partitionKey).sort()).toEqual([...live].sort());

    const deployment = {
      profileTableName: stack.resources.profileTableName,
      stateTableName: stack.resources.stateTableName,
      exportQueueUrl: stack.resources.exportQueueUrl,
    };
    const stop = new AbortController();
    let pages = 0;
    const interrupted = await backfillFromCli({
      dynamo: stack.clients.dynamodb,
      sqs: stack.clients.sqs,
      deployment,
      config: after,
      destinationId: 'marketing',
      segmentIds: [SEG_NEW],
      pageSize: 5,
      totalSegments: 2,
      signal: stop.signal,
      progress: quiet,
      onPage: () => {
        pages += 1;
        if (pages === 4) stop.abort(); // Ctrl-C
      },
    });
    expect(interrupted.status).toBe('stopped');
    expect(interrupted.queued).toBeGreaterThan(0);
    expect(interrupted.queued).toBeLessThan(N);
    // The exporter delivers what was queued before the interruption.
    await stack.waitForIdle({ timeoutMs: 60_000 });

    const resumed = await backfillFromCli({
      dynamo: stack.clients.dynamodb,
      sqs: stack.clients.sqs,
      deployment,
      config: after,
      destinationId: 'marketing',
      segmentIds: [SEG_NEW],
      resume: true,
      pageSize: 5,
      progress: quiet,
    });
    expect(resumed).toMatchObject({ status: 'completed', runId: interrupted.runId, queued: N });
    await stack.waitForIdle({ timeoutMs: 60_000 });

    const records = await stack.readRecords('marketing');
    const backfilled = records.slice(liveRecords.length);
    const counts = new Map<string, number>();
    for (const r of backfilled) counts.set(r.partitionKey, (counts.get(r.partitionKey) ?? 0) + 1);
    // Each of the N exactly once; nobody else.
    expect([...counts.keys()].sort()).toEqual([...members].sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    for (const r of backfilled) {
      const ups = (r.data as { segmentMembership: { ups: Record<string, { status: string }> } })
        .segmentMembership.ups;
      expect(['realized', 'existing']).toContain(ups[SEG_NEW]?.status);
      expect(Object.keys(ups)).not.toContain(SEG_OTHER);
    }
  });
});
