import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  isValidPartitionKey,
  PARTITION_KEY_MAX_LENGTH,
  partitionKeyLength,
  partitionKeyProblem,
} from '../../../core/partition-key.js';
import { safeParseProfile, safeParseStoredProfile } from '../../../core/profile.js';
import { planExports } from '../../../lambdas/decide/plan-exports.js';
import { compiledConfig, member, membership, SEG } from '../../helpers/factories.js';

const EMOJI = '\u{1F600}';

describe('partitionKeyLength()', () => {
  it('counts UTF-16 code units, as Kinesis (a Java string) and kinesalite do', () => {
    expect(partitionKeyLength('p-1')).toBe(3);
    expect(partitionKeyLength(EMOJI)).toBe(2);
    expect(partitionKeyLength(EMOJI.repeat(130))).toBe(260);
  });
});

describe('partitionKeyProblem()', () => {
  const cases: [string, string, RegExp | undefined][] = [
    ['an ASCII id of 256 characters', 'x'.repeat(256), undefined],
    ['128 emoji (256 UTF-16 units)', EMOJI.repeat(128), undefined],
    [
      'an ASCII id of 257 characters',
      'x'.repeat(257),
      /is 257 characters; .*at most 256: shorten the profile id/,
    ],
    [
      '130 emoji: 130 code points but 260 UTF-16 units',
      EMOJI.repeat(130),
      /is 260 UTF-16 code units \(130 characters; .*emoji, counts twice\).*shorten the profile id/,
    ],
    ['an empty id', '', /is empty/],
  ];
  for (const [what, key, problem] of cases) {
    it(`${problem === undefined ? 'accepts' : 'refuses'} ${what}`, () => {
      const found = partitionKeyProblem(key);
      if (problem === undefined) expect(found).toBeUndefined();
      else expect(found).toMatch(problem);
      expect(isValidPartitionKey(key)).toBe(problem === undefined);
    });
  }

  it('is the limit Kinesis documents', () => expect(PARTITION_KEY_MAX_LENGTH).toBe(256));
});

describe('the profile schema', () => {
  it('refuses a profile id of 130 emoji, which zod alone counts as 130 characters', () => {
    const stored = safeParseStoredProfile({ profileId: EMOJI.repeat(130) }, 'dynamodb.NewImage');
    const written = safeParseProfile({ profileId: EMOJI.repeat(130) });

    expect(stored).toMatchObject({ ok: false, fields: ['dynamodb.NewImage.profileId'] });
    expect(stored.ok ? [] : stored.issues).toEqual([
      expect.stringMatching(/^dynamodb\.NewImage\.profileId: the profile id is 260 UTF-16 code units/),
    ]);
    expect(written.ok).toBe(false);
  });

  it('accepts a profile id of 128 emoji on the fast path and through zod alike', () => {
    expect(safeParseStoredProfile({ profileId: EMOJI.repeat(128) }).ok).toBe(true);
    expect(safeParseProfile({ profileId: EMOJI.repeat(128) }).ok).toBe(true);
  });
});

describe('planExports()', () => {
  function insert(profileId: string): DynamoDBRecord {
    return {
      eventID: `event-${profileId.length}`,
      eventName: 'INSERT',
      dynamodb: {
        SequenceNumber: '000001',
        ApproximateCreationDateTime: 1_700_000_000,
        Keys: marshall({ profileId }) as never,
        NewImage: marshall(member({ [SEG.delorean]: membership('realized') }, { profileId })) as never,
      },
    };
  }

  it('rejects a profile id Kinesis would refuse as a partition key with PROFILE_ID_TOO_LONG, naming the fix', () => {
    const tooLong = insert(EMOJI.repeat(130));
    const healthy = insert('p-1');

    const plan = planExports([tooLong, healthy], compiledConfig(), () => 1_700_000_001_000);

    expect(plan.exports.map((e) => e.export.message.profileId)).toEqual(['p-1']);
    expect(plan.rejects).toEqual([
      {
        index: 0,
        message: expect.objectContaining({
          code: 'PROFILE_ID_TOO_LONG',
          field: 'dynamodb.Keys.profileId',
          reason: expect.stringMatching(/260 UTF-16 code units.*shorten the profile id/),
          record: tooLong,
        }),
      },
    ]);
  });

  it('rejects any other invalid record with INVALID_RECORD', () => {
    const broken = insert('p-2');
    (broken.dynamodb as { NewImage: Record<string, unknown> }).NewImage.identityMap = { S: 'not a map' };

    const plan = planExports([broken], compiledConfig(), () => 1);

    expect(plan.rejects.map((r) => r.message.code)).toEqual(['INVALID_RECORD']);
  });
});
