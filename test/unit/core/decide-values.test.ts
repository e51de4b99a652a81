/**
 * The decision on what a writer that bypasses the profile writer stores (AWS SDK, AWS CLI, Step
 * Functions): every DynamoDB value type in a mapped attribute, and the source page's rules on the
 * edge cases (a segment entry that disappears, an empty identity namespace). The images are the
 * DynamoDB JSON a Lambda event carries.
 */
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { type DestinationDecision, decideExports } from '../../../core/decide.js';
import { parseStreamRecord } from '../../../core/stream-record.js';
import { compiledConfig, SEG } from '../../helpers/factories.js';

const config = compiledConfig([
  { attributes: ['person.name.firstName', 'loyalty.tags', 'loyalty.points', 'avatar', 'prefs'] },
]);

type Image = Record<string, AttributeValue>;

const realized = (time = '2022-01-11T21:24:39Z'): AttributeValue => ({
  M: { status: { S: 'realized' }, lastQualificationTime: { S: time } },
});

/** A raw item: a member of the mapped DeLorean segment, no writer bookkeeping. */
function item(
  attributes: Image = {},
  ups: Record<string, AttributeValue> = { [SEG.delorean]: realized() },
): Image {
  return {
    profileId: { S: 'raw-1' },
    identityMap: { M: { ecid: { L: [{ M: { id: { S: 'e-1' } } }] } } },
    segmentMembership: { M: { ups: { M: ups } } },
    ...attributes,
  };
}

let sequence = 0;
function record(oldImage: Image | undefined, newImage: Image | undefined): DynamoDBRecord {
  sequence++;
  return {
    eventID: `e-${sequence}`,
    eventName: newImage === undefined ? 'REMOVE' : oldImage === undefined ? 'INSERT' : 'MODIFY',
    dynamodb: {
      SequenceNumber: String(sequence),
      ApproximateCreationDateTime: 1_700_000_000,
      ...(oldImage && { OldImage: oldImage }),
      ...(newImage && { NewImage: newImage }),
    },
  };
}

function decide(oldImage: Image | undefined, newImage: Image | undefined): DestinationDecision {
  const parsed = parseStreamRecord(record(oldImage, newImage), { fields: config.fieldsRead });
  if (!parsed.ok) throw new Error(parsed.reason);
  const [decision] = decideExports(parsed.change, config);
  if (decision === undefined) throw new Error('no decision');
  return decision;
}

function exported(decision: DestinationDecision) {
  if (!decision.export) throw new Error(`not exported: ${decision.reasons.map((r) => r.message).join('; ')}`);
  return decision;
}

describe('decideExports() on every DynamoDB value type', () => {
  it('exports a string set as a sorted array, and sees when it changes', () => {
    const before = item({ loyalty: { M: { tags: { SS: ['gold', 'early'] } } } });
    const after = item({ loyalty: { M: { tags: { SS: ['gold', 'early', 'vip'] } } } });
    const decision = exported(decide(before, after));

    expect(decision.reasons.map((r) => r.message)).toEqual(['written: loyalty.tags (changed)']);
    expect(decision.document.loyalty).toEqual({ tags: ['early', 'gold', 'vip'] });
  });

  it('does not see a change in a set DynamoDB returns in another order', () => {
    const before = item({ loyalty: { M: { tags: { SS: ['b', 'a'] }, points: { NS: ['2', '10'] } } } });
    const after = item({ loyalty: { M: { tags: { SS: ['a', 'b'] }, points: { NS: ['10', '2'] } } } });

    expect(decide(before, after).export).toBe(false);
  });

  it('exports a binary as base64 text', () => {
    const decision = exported(decide(undefined, item({ avatar: { B: 'aGVsbG8=' } })));

    expect(decision.document.avatar).toBe('aGVsbG8=');
    expect(decision.documentJson).toContain('"avatar":"aGVsbG8="');
  });

  it('exports a number beyond 2^53 with exactly its digits, and one with many decimals', () => {
    const decision = exported(
      decide(
        undefined,
        item({
          loyalty: { M: { points: { N: '12345678901234567890123' } } },
          prefs: { N: '0.1000000000000000055511151231257827' },
        }),
      ),
    );

    expect(decision.documentJson).toContain('"loyalty":{"points":12345678901234567890123}');
    expect(decision.documentJson).toContain('"prefs":0.1000000000000000055511151231257827');
  });

  it('sees a change in the last digit of a number beyond 2^53', () => {
    const before = item({ loyalty: { M: { points: { N: '9007199254740993' } } } });
    const after = item({ loyalty: { M: { points: { N: '9007199254740992' } } } });

    expect(exported(decide(before, after)).reasons[0]?.message).toBe('written: loyalty.points (changed)');
  });

  it('exports an empty map, NULL, BOOL and lists as JSON', () => {
    const decision = exported(
      decide(
        undefined,
        item({
          prefs: {
            M: {
              none: { M: {} },
              off: { BOOL: false },
              gone: { NULL: true },
              list: { L: [{ N: '1' }, { S: 'x' }] },
            },
          },
        }),
      ),
    );

    expect(decision.document.prefs).toEqual({ none: {}, off: false, gone: null, list: [1, 'x'] });
  });
});

describe('decideExports(): a mapped segment whose entry disappears', () => {
  const withDelorean = item({}, { [SEG.delorean]: realized('2022-01-02T23:37:33Z'), [SEG.john]: realized() });

  it('exports the segment as exited, with its last qualification time, when its entry is removed', () => {
    const decision = exported(decide(withDelorean, item({}, { [SEG.john]: realized() })));

    expect(decision.reasons[0]?.message).toMatch(/realized → removed \(exported as exited\)/);
    expect(decision.document.segmentMembership).toEqual({
      ups: {
        [SEG.delorean]: { lastQualificationTime: '2022-01-02T23:37:33Z', status: 'exited' },
        [SEG.john]: { lastQualificationTime: '2022-01-11T21:24:39Z', status: 'realized' },
      },
    });
  });

  it('exports every mapped segment as exited when the whole segmentMembership is removed', () => {
    const { segmentMembership: _, ...withoutMembership } = withDelorean;
    const decision = exported(decide(withDelorean, withoutMembership));

    expect(decision.document.segmentMembership).toEqual({
      ups: {
        [SEG.delorean]: { lastQualificationTime: '2022-01-02T23:37:33Z', status: 'exited' },
        [SEG.john]: { lastQualificationTime: '2022-01-11T21:24:39Z', status: 'exited' },
      },
    });
  });

  it('exports every mapped segment as exited when the profile is deleted', () => {
    const decision = exported(decide(withDelorean, undefined));

    expect(decision.reasons[0]?.code).toBe('profile-deleted');
    expect(Object.values((decision.document.segmentMembership as { ups: object }).ups)).toEqual([
      { lastQualificationTime: '2022-01-02T23:37:33Z', status: 'exited' },
      { lastQualificationTime: '2022-01-11T21:24:39Z', status: 'exited' },
    ]);
  });
});

describe('decideExports(): what an identity change is', () => {
  const withIdentities = (namespaces: Record<string, string[]>): Image =>
    item({
      identityMap: {
        M: Object.fromEntries(
          Object.entries(namespaces).map(([ns, ids]) => [
            ns,
            { L: ids.map((id) => ({ M: { id: { S: id } } })) },
          ]),
        ),
      },
    });

  it.each([
    ['an empty namespace appears', { ecid: ['e-1'] }, { ecid: ['e-1'], phone: [] }],
    ['an empty namespace disappears', { ecid: ['e-1'], phone: [] }, { ecid: ['e-1'] }],
    ['the identities of a namespace are reordered', { ecid: ['e-1', 'e-2'] }, { ecid: ['e-2', 'e-1'] }],
  ])('is none when %s', (_label, before, after) => {
    const decision = decide(withIdentities(before), withIdentities(after));

    expect(decision.export).toBe(false);
    expect(decision.reasons.map((r) => r.code)).toEqual(['no-export']);
  });

  it.each([
    [
      'an identity is added',
      { ecid: ['e-1'] },
      { ecid: ['e-1'], phone: ['p-1'] },
      'identity map changed: phone +1',
    ],
    ['an identity is removed', { ecid: ['e-1', 'e-2'] }, { ecid: ['e-1'] }, 'identity map changed: ecid -1'],
    ['an identity is replaced', { ecid: ['e-1'] }, { ecid: ['e-3'] }, 'identity map changed: ecid +1 -1'],
  ])('is one when %s', (_label, before, after, message) => {
    expect(exported(decide(withIdentities(before), withIdentities(after))).reasons[0]?.message).toBe(message);
  });

  it('is one when an identity keeps its id but changes another field', () => {
    const before = withIdentities({ ecid: ['e-1'] });
    const after = item({
      identityMap: { M: { ecid: { L: [{ M: { id: { S: 'e-1' }, primary: { BOOL: true } } }] } } },
    });

    expect(exported(decide(before, after)).reasons[0]?.message).toBe('identity map changed: ecid 1 changed');
  });
});
