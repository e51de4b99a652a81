/**
 * End to end through the real decide and export functions, the local event-source-mapping runtime
 * and the emulators: each export rule of the source page exports exactly once, and changes the page
 * does not call relevant export nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DestinationRecord } from '../../adapters/kinesis-reader.js';
import type { LocalStack } from '../../local/stack.js';
import { membership, SEG } from '../helpers/factories.js';
import { exportsOf as exportsIn, startTestStack, writeTo } from '../helpers/stack.js';

// The example config (examples/config.json): John and DeLorean are mapped to marketing; Back to the
// Future and Doc Brown fans are unmapped segments of the same merge policy; the EU newsletter is of another.
const JOHN = SEG.john;
const DELOREAN = SEG.delorean;
const BTTF = SEG.backToTheFuture;
const DOC_BROWN = SEG.docBrownFans;
const NEWSLETTER_EU = SEG.newsletterEu;

const realized = (time: string) => membership('realized', time);

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack({ decideMapping: { maxBatchingWindowMs: 100 } });
});

afterAll(async () => {
  await stack?.stop();
});

async function write(...documents: Record<string, unknown>[]): Promise<void> {
  await writeTo(stack, documents);
  // Generous: on a busy machine a batch can time out and come back after the 18 s visibility timeout.
  await stack.waitForIdle({ timeoutMs: 50_000 });
}

function exportsOf(profileId: string, destinationId = 'marketing'): Promise<DestinationRecord[]> {
  return exportsIn(stack, destinationId, profileId);
}

type Doc = {
  person?: { name?: { firstName?: string; lastName?: string } };
  segmentMembership?: { ups?: Record<string, { status?: string; name?: string }> };
  identityMap?: Record<string, { id: string }[]>;
  preferences?: unknown;
};

function docOf(record: DestinationRecord | undefined): Doc {
  return (record?.data ?? {}) as Doc;
}

describe('export rules of the source page, end to end', () => {
  it('exports a profile once when it qualifies for a mapped segment, with the same-merge-policy segments', async () => {
    await write({
      profileId: 'e2e-qualify',
      person: { name: { firstName: 'John', lastName: 'Doe' }, birthDate: '1985-10-26' },
      personalEmail: { address: 'john.doe@acme.com' },
      preferences: { color: 'blue' },
      identityMap: { ecid: [{ id: '14575006536349286404619648085736425115' }] },
      segmentMembership: {
        ups: {
          [JOHN]: realized('2022-01-11T21:24:39Z'),
          [BTTF]: realized('2021-12-24T10:00:00Z'),
          [NEWSLETTER_EU]: realized('2021-11-02T08:00:00Z'),
        },
      },
    });
    const records = await exportsOf('e2e-qualify');
    expect(records).toHaveLength(1);
    const doc = docOf(records[0]);
    expect(doc.person?.name).toEqual({ firstName: 'John', lastName: 'Doe' });
    expect(doc.preferences).toBeUndefined();
    expect(doc.identityMap).toEqual({ ecid: [{ id: '14575006536349286404619648085736425115' }] });
    expect(doc.segmentMembership?.ups?.[JOHN]).toMatchObject({
      status: 'realized',
      name: 'First name equals John',
    });
    expect(doc.segmentMembership?.ups?.[BTTF]).toMatchObject({ status: 'realized' });
    expect(doc.segmentMembership?.ups?.[NEWSLETTER_EU]).toBeUndefined();
    expect(await exportsOf('e2e-qualify', 'analytics')).toHaveLength(0);
  });

  it('exports once when a profile exits a mapped segment', async () => {
    await write({
      profileId: 'e2e-exit',
      person: { name: { lastName: 'McFly' } },
      segmentMembership: { ups: { [DELOREAN]: realized('2022-01-02T23:37:33Z') } },
    });
    await write({
      profileId: 'e2e-exit',
      segmentMembership: {
        ups: { [DELOREAN]: membership('exited', '2022-02-04T08:00:00Z') },
      },
    });
    const records = await exportsOf('e2e-exit');
    expect(records).toHaveLength(2);
    expect(docOf(records[1]).segmentMembership?.ups?.[DELOREAN]?.status).toBe('exited');
  });

  it('exports once when a qualified profile gains an identity, with the whole identityMap', async () => {
    await write({
      profileId: 'e2e-identity',
      identityMap: { ecid: [{ id: '66478888669296734530114754794777368480' }] },
      segmentMembership: { ups: { [JOHN]: realized('2022-01-11T21:24:39Z') } },
    });
    await write({
      profileId: 'e2e-identity',
      identityMap: { email_lc_sha256: [{ id: '655332b5fa2aea4498bf7a290cff017cb4' }] },
    });
    const records = await exportsOf('e2e-identity');
    expect(records).toHaveLength(2);
    expect(Object.keys(docOf(records[1]).identityMap ?? {}).sort()).toEqual(['ecid', 'email_lc_sha256']);
  });

  it('exports once when a mapped attribute is overwritten with the same value', async () => {
    await write({
      profileId: 'e2e-overwrite',
      person: { name: { firstName: 'Marty', lastName: 'McFly' } },
      segmentMembership: { ups: { [DELOREAN]: realized('2022-01-02T23:37:33Z') } },
    });
    await write({ profileId: 'e2e-overwrite', person: { name: { lastName: 'McFly' } } });
    const records = await exportsOf('e2e-overwrite');
    expect(records).toHaveLength(2);
    expect(docOf(records[1]).person?.name).toEqual({ firstName: 'Marty', lastName: 'McFly' });
  });

  it('exports nothing for an unmapped attribute change or an unmapped segment of the same merge policy', async () => {
    await write({
      profileId: 'e2e-unmapped',
      person: { name: { firstName: 'Biff' } },
      preferences: { color: 'blue' },
      segmentMembership: { ups: { [JOHN]: realized('2022-01-11T21:24:39Z') } },
    });
    await write({ profileId: 'e2e-unmapped', preferences: { color: 'green' } });
    await write({
      profileId: 'e2e-unmapped',
      segmentMembership: { ups: { [DOC_BROWN]: realized('2022-02-03T12:00:00Z') } },
    });
    // Only the qualification exported; and a profile in no mapped segment never exports.
    expect(await exportsOf('e2e-unmapped')).toHaveLength(1);
    await write({
      profileId: 'e2e-nobody',
      person: { name: { firstName: 'Nobody' } },
      segmentMembership: { ups: { [BTTF]: realized('2022-01-01T00:00:00Z') } },
    });
    expect(await exportsOf('e2e-nobody')).toHaveLength(0);
    expect(await stack.queueDepth('rejects')).toBe(0);
    expect(await stack.queueDepth('dlq')).toBe(0);
  });
});
