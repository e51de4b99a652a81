import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { writeProfiles } from '../../../adapters/profile-writer.js';
import { decideExports } from '../../../core/decide.js';
import { ProfileValidationError } from '../../../core/errors.js';
import type { Profile, StoredProfile } from '../../../core/profile.js';
import { mergeProfileWrite } from '../../../core/profile-merge.js';
import { parseStreamRecord } from '../../../core/stream-record.js';
import { compiledConfig, membership, SEG } from '../../helpers/factories.js';

describe('mergeProfileWrite()', () => {
  const stored = mergeProfileWrite(
    undefined,
    {
      profileId: 'p-1',
      person: { name: { firstName: 'John', lastName: 'Doe' }, birthDate: '1985-10-26' },
      identityMap: { ecid: [{ id: '1' }] },
      segmentMembership: { ups: { [SEG.delorean]: membership('realized') } },
    } as Profile,
    1_000,
  ).item;

  it('merges nested fields and records each given leaf as written', () => {
    const { item, written } = mergeProfileWrite(
      stored,
      { profileId: 'p-1', person: { name: { firstName: 'John' } } } as Profile,
      2_000,
    );

    expect(item.person).toEqual({ name: { firstName: 'John', lastName: 'Doe' }, birthDate: '1985-10-26' });
    expect(written).toEqual(['person.name.firstName']);
  });

  it('removes a field written as null, and records it', () => {
    const { item, written } = mergeProfileWrite(
      stored,
      { profileId: 'p-1', person: { birthDate: null } } as unknown as Profile,
      2_000,
    );

    expect(item.person).toEqual({ name: { firstName: 'John', lastName: 'Doe' } });
    expect(written).toEqual(['person.birthDate']);
  });

  it('merges identities by namespace and segments by id, recording neither as an attribute write', () => {
    const { item, written } = mergeProfileWrite(
      stored,
      {
        profileId: 'p-1',
        identityMap: { email_lc_sha256: [{ id: 'e' }] },
        segmentMembership: { ups: { [SEG.john]: membership('realized') } },
      } as Profile,
      2_000,
    );

    expect(Object.keys(item.identityMap ?? {})).toEqual(['ecid', 'email_lc_sha256']);
    expect(Object.keys(item.segmentMembership?.ups ?? {})).toEqual([SEG.delorean, SEG.john]);
    expect(written).toEqual([]);
  });

  it('gives every write a higher version, even within the same millisecond', () => {
    const first = mergeProfileWrite(stored, { profileId: 'p-1' } as Profile, 1_000);
    const second = mergeProfileWrite(first.item, { profileId: 'p-1' } as Profile, 1_000);

    expect(second.version).toBeGreaterThan(first.version);
  });
});

describe('writeProfiles() and the decision, on the images the writer stores', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  let table: Map<string, StoredProfile>;

  beforeEach(() => {
    ddb.reset();
    table = new Map();
    ddb.on(GetCommand).callsFake((input) => ({ Item: table.get(input.Key.profileId) }));
    ddb.on(PutCommand).callsFake((input) => {
      table.set(input.Item.profileId, structuredClone(input.Item));
      return {};
    });
  });

  /** The stream record DynamoDB emits for a write from `before` to `after` (NEW_AND_OLD_IMAGES). */
  function streamRecord(before: StoredProfile | undefined, after: StoredProfile): DynamoDBRecord {
    return {
      eventID: 'e-1',
      eventName: before === undefined ? 'INSERT' : 'MODIFY',
      dynamodb: {
        SequenceNumber: '1',
        ApproximateCreationDateTime: 1_700_000_000,
        ...(before && { OldImage: marshall(before, { removeUndefinedValues: true }) as never }),
        NewImage: marshall(after, { removeUndefinedValues: true }) as never,
      },
    };
  }

  async function write(document: Record<string, unknown>) {
    const before = table.get(document.profileId as string);
    await writeProfiles([document], { tableName: 'profiles', client: new DynamoDBClient({}) });
    const after = table.get(document.profileId as string) as StoredProfile;
    const parsed = parseStreamRecord(streamRecord(before, after));
    if (!parsed.ok) throw new Error(parsed.reason);
    return decideExports(parsed.change, compiledConfig());
  }

  it('exports a same-value overwrite of a mapped attribute, and not the bookkeeping alone', async () => {
    await write({
      profileId: 'p-1',
      person: { name: { firstName: 'John' } },
      segmentMembership: { ups: { [SEG.delorean]: membership('realized') } },
    });

    const sameValue = await write({ profileId: 'p-1', person: { name: { firstName: 'John' } } });
    const unmappedOnly = await write({ profileId: 'p-1', loyalty: { points: 10 } });
    const nothing = await write({ profileId: 'p-1' });

    expect(sameValue[0]?.export).toBe(true);
    expect(sameValue[0]?.reasons.map((r) => r.message)).toEqual([
      'written: person.name.firstName (same value)',
    ]);
    expect(unmappedOnly[0]?.export).toBe(false);
    expect(nothing[0]?.export).toBe(false);
  });

  it('guards each write with the version it read, and retries when another writer got there first', async () => {
    let conflicts = 1;
    ddb.on(PutCommand).callsFake((input) => {
      if (conflicts-- > 0) throw new ConditionalCheckFailedException({ message: 'conflict', $metadata: {} });
      table.set(input.Item.profileId, structuredClone(input.Item));
      return {};
    });

    const [result] = await writeProfiles([{ profileId: 'p-9', loyalty: { tier: 'gold' } }], {
      tableName: 'profiles',
      client: new DynamoDBClient({}),
    });

    expect(result?.writtenPaths).toEqual(['loyalty.tier']);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(2);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.ConditionExpression).toBe(
      'attribute_not_exists(profileId)',
    );
  });

  it('validates every document before writing any', async () => {
    await expect(
      writeProfiles([{ profileId: 'ok' }, { person: {} }], {
        tableName: 'profiles',
        client: new DynamoDBClient({}),
      }),
    ).rejects.toThrow(ProfileValidationError);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });
});
