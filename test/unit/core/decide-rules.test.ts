import { describe, expect, it } from 'vitest';
import { type DestinationDecision, decideExports } from '../../../core/decide.js';
import type { StoredProfile } from '../../../core/profile.js';
import type { ProfileChange } from '../../../core/profile-change.js';
import { compiledConfig, member, membership, SEG } from '../../helpers/factories.js';

const config = compiledConfig();

/** Adds the profile writer's bookkeeping: this image was produced by a write of `paths` at version `v`. */
function writtenBy(image: StoredProfile, paths: string[], v: number): StoredProfile {
  return { ...image, __kd: { v, w: paths, at: v } } as StoredProfile;
}

function decideOne(change: ProfileChange): DestinationDecision {
  const [decision] = decideExports(change, config);
  if (decision === undefined) throw new Error('no decision');
  return decision;
}

const codes = (d: DestinationDecision) => d.reasons.map((r) => r.code);

describe('decideExports(): segment membership', () => {
  it.each([
    ['absent', undefined, 'realized', true],
    ['absent', undefined, 'existing', true],
    ['exited', 'exited', 'realized', true],
    ['realized', 'realized', 'exited', true],
    ['existing', 'existing', 'exited', true],
    ['realized', 'realized', 'existing', false],
    ['exited', 'exited', 'exited', false],
  ] as const)('a mapped segment going from %s to %s exports: %s', (_label, before, after, exported) => {
    const oldImage = member(before === undefined ? {} : { [SEG.delorean]: membership(before) });
    const newImage = member({ [SEG.delorean]: membership(after, '2022-02-01T00:00:00Z') });

    const decision = decideOne({ eventName: 'MODIFY', oldImage, newImage });

    expect(decision.export).toBe(exported);
    if (exported) expect(codes(decision)).toEqual(['segment-membership']);
  });

  it('exports when a member profile loses its mapped segment entry altogether', () => {
    const decision = decideOne({
      eventName: 'MODIFY',
      oldImage: member({ [SEG.delorean]: membership('realized') }),
      newImage: member({}),
    });

    expect(decision.export).toBe(true);
    expect(decision.reasons[0]?.message).toContain('realized → removed');
  });

  it('does not export when only an unmapped segment is qualified for', () => {
    const decision = decideOne({
      eventName: 'MODIFY',
      oldImage: member({}),
      newImage: member({ [SEG.backToTheFuture]: membership('realized') }),
    });

    expect(decision.export).toBe(false);
    expect(decision.document).toBeNull();
  });

  it('exports a newly inserted profile that qualifies for a mapped segment', () => {
    const decision = decideOne({
      eventName: 'INSERT',
      newImage: member({ [SEG.john]: membership('realized') }),
    });

    expect(decision.export).toBe(true);
  });
});

describe('decideExports(): identity map', () => {
  const inSegment = { [SEG.delorean]: membership('realized') };
  const ecid = [{ id: '1457' }];
  it.each([
    ['an identity is added', { ecid }, { ecid: [...ecid, { id: '6647' }] }],
    ['an identity is removed', { ecid: [...ecid, { id: '6647' }] }, { ecid }],
    ['an identity changes', { ecid }, { ecid: [{ id: '9999' }] }],
    ['a namespace is added', { ecid }, { ecid, email_lc_sha256: [{ id: '6553' }] }],
  ])('exports a member profile when %s', (_label, before, after) => {
    const decision = decideOne({
      eventName: 'MODIFY',
      oldImage: member(inSegment, { identityMap: before }),
      newImage: member(inSegment, { identityMap: after }),
    });

    expect(decision.export).toBe(true);
    expect(codes(decision)).toEqual(['identity-map']);
  });

  it('does not export an identity change of a profile outside every mapped segment, and says why', () => {
    const decision = decideOne({
      eventName: 'MODIFY',
      oldImage: member({ [SEG.backToTheFuture]: membership('realized') }, { identityMap: { ecid } }),
      newImage: member(
        { [SEG.backToTheFuture]: membership('realized') },
        { identityMap: { ecid: [...ecid, { id: '2' }] } },
      ),
    });

    expect(decision.export).toBe(false);
    expect(decision.reasons[0]?.message).toMatch(
      /identity map changed \(ecid \+1\), but the profile is in no mapped segment/,
    );
  });

  it('never puts identity values in its reasons', () => {
    const decision = decideOne({
      eventName: 'MODIFY',
      oldImage: member(inSegment, { identityMap: { ecid } }),
      newImage: member(inSegment, { identityMap: { ecid: [{ id: 'secret-identity-42' }] } }),
    });

    expect(JSON.stringify(decision.reasons)).not.toContain('secret-identity-42');
  });
});

describe('decideExports(): mapped attributes written through the profile writer', () => {
  const inSegment = { [SEG.delorean]: membership('realized') };
  const before = writtenBy(member(inSegment), [], 1);
  it.each([
    ['overwritten with the same value', ['person.name.firstName'], {}, 'same value'],
    [
      'changed',
      ['person.name.firstName'],
      { person: { name: { firstName: 'Marty', lastName: 'Doe' } } },
      'changed',
    ],
    [
      'added',
      ['person.birthDate'],
      { person: { name: { firstName: 'John', lastName: 'Doe' }, birthDate: '1985-10-26' } },
      'added',
    ],
    ['removed', ['personalEmail.address'], { personalEmail: {} }, 'removed'],
    ['replaced through its parent object', ['person'], {}, 'same value'],
  ])('exports when a mapped attribute is %s', (_label, paths, overrides, how) => {
    const start =
      _label === 'added'
        ? writtenBy(member(inSegment, { person: { name: { firstName: 'John', lastName: 'Doe' } } }), [], 1)
        : before;
    const after = writtenBy({ ...start, ...overrides } as StoredProfile, paths, 2);

    const decision = decideOne({ eventName: 'MODIFY', oldImage: start, newImage: after });

    expect(decision.export).toBe(true);
    expect(codes(decision)).toEqual(['mapped-attribute']);
    expect(decision.reasons[0]?.message).toContain(`(${how})`);
  });

  it('exports when a field inside a mapped object attribute is written', () => {
    const objectConfig = compiledConfig([{ attributes: ['person.name'] }]);
    const after = writtenBy(before, ['person.name.firstName'], 2);

    const [decision] = decideExports(
      { eventName: 'MODIFY', oldImage: before, newImage: after },
      objectConfig,
    );

    expect(decision?.export).toBe(true);
  });

  it('does not export when only an unmapped attribute is written', () => {
    const after = writtenBy(
      { ...before, mobilePhone: { number: '+1-555-0199' } } as StoredProfile,
      ['mobilePhone.number'],
      2,
    );

    expect(decideOne({ eventName: 'MODIFY', oldImage: before, newImage: after }).export).toBe(false);
  });

  it("does not export because of the writer's bookkeeping alone", () => {
    const after = writtenBy(before, [], 2);

    const decision = decideOne({ eventName: 'MODIFY', oldImage: before, newImage: after });

    expect(decision.export).toBe(false);
    expect(decision.reasons[0]?.code).toBe('no-export');
  });

  it('does not export a mapped attribute write of a profile outside every mapped segment', () => {
    const outside = writtenBy(member({}), [], 1);
    const after = writtenBy(outside, ['person.name.firstName'], 2);

    const decision = decideOne({ eventName: 'MODIFY', oldImage: outside, newImage: after });

    expect(decision.export).toBe(false);
    expect(decision.reasons[0]?.message).toContain('but the profile is in no mapped segment');
  });

  it('falls back to comparing mapped values when a change did not go through the writer', () => {
    const unchangedBookkeeping = writtenBy(
      { ...before, person: { name: { firstName: 'Emmett', lastName: 'Brown' } } } as StoredProfile,
      ['person.name.firstName'],
      1,
    );

    const changed = decideOne({ eventName: 'MODIFY', oldImage: before, newImage: unchangedBookkeeping });
    const untouched = decideOne({
      eventName: 'MODIFY',
      oldImage: member(inSegment),
      newImage: member(inSegment, { loyalty: { tier: 'gold' } }),
    });

    expect(changed.export).toBe(true);
    expect(changed.export && changed.profileVersion).toBe(0);
    expect(untouched.export).toBe(false);
  });
});

describe('decideExports(): deletes', () => {
  it('exports a deleted member profile with its mapped segments as exited', () => {
    const oldImage = writtenBy(
      member({ [SEG.delorean]: membership('realized'), [SEG.backToTheFuture]: membership('realized') }),
      [],
      7,
    );

    const decision = decideOne({ eventName: 'REMOVE', oldImage });

    expect(decision.export).toBe(true);
    expect(codes(decision)).toEqual(['profile-deleted']);
    if (!decision.export) return;
    expect(decision.document.segmentMembership).toEqual({ ups: { [SEG.delorean]: membership('exited') } });
    expect(decision.profileVersion).toBe(8);
  });

  it('does not export a deleted profile that was in no mapped segment', () => {
    expect(
      decideOne({ eventName: 'REMOVE', oldImage: member({ [SEG.backToTheFuture]: membership('realized') }) })
        .export,
    ).toBe(false);
  });
});

describe("decideExports(): the page's DeLorean example", () => {
  it("includes the unmapped segments of the mapped segment's merge policy and leaves out another policy's", () => {
    const ups = {
      [SEG.newsletterEu]: membership('realized'),
      [SEG.docBrownFans]: membership('realized'),
      [SEG.backToTheFuture]: membership('existing'),
    };
    const decision = decideOne({
      eventName: 'MODIFY',
      oldImage: member(ups),
      newImage: member({ ...ups, [SEG.delorean]: membership('realized') }),
    });

    expect(decision.export).toBe(true);
    if (!decision.export) return;
    expect(Object.keys((decision.document.segmentMembership as { ups: object }).ups)).toEqual([
      SEG.delorean,
      SEG.backToTheFuture,
      SEG.docBrownFans,
    ]);
    expect(Object.keys(decision.document)).toEqual([
      'person',
      'personalEmail',
      'segmentMembership',
      'identityMap',
    ]);
    expect(decision.document.person).toEqual({
      birthDate: '1985-10-26',
      name: { firstName: 'John', lastName: 'Doe' },
    });
  });

  it('leaves out an unmapped segment the profile has exited', () => {
    const decision = decideOne({
      eventName: 'INSERT',
      newImage: member({ [SEG.delorean]: membership('realized'), [SEG.docBrownFans]: membership('exited') }),
    });

    expect(
      decision.export && Object.keys((decision.document.segmentMembership as { ups: object }).ups),
    ).toEqual([SEG.delorean]);
  });

  it('leaves out a mapped attribute the profile lacks and every unmapped attribute', () => {
    const decision = decideOne({
      eventName: 'INSERT',
      newImage: member(
        { [SEG.delorean]: membership('realized') },
        { person: { name: { firstName: 'John' }, gender: 'male' } },
      ),
    });

    expect(decision.export && decision.document.person).toEqual({ name: { firstName: 'John' } });
    expect(decision.export && 'mobilePhone' in decision.document).toBe(false);
  });
});

describe('decideExports(): segment toggles', () => {
  it.each([
    [false, false, ['lastQualificationTime', 'status']],
    [true, false, ['lastQualificationTime', 'status', 'name']],
    [
      false,
      true,
      ['lastQualificationTime', 'status', 'createdAt', 'updatedAt', 'mappingCreatedAt', 'mappingUpdatedAt'],
    ],
    [
      true,
      true,
      [
        'lastQualificationTime',
        'status',
        'createdAt',
        'updatedAt',
        'mappingCreatedAt',
        'mappingUpdatedAt',
        'name',
      ],
    ],
  ])(
    'names %s, timestamps %s: a mapped segment entry has %j',
    (includeSegmentNames, includeSegmentTimestamps, keys) => {
      const toggled = compiledConfig([{ includeSegmentNames, includeSegmentTimestamps }]);

      const [decision] = decideExports(
        { eventName: 'INSERT', newImage: member({ [SEG.delorean]: membership('realized') }) },
        toggled,
      );

      const ups = decision?.export
        ? (decision.document.segmentMembership as { ups: Record<string, object> }).ups
        : {};
      expect(Object.keys(ups[SEG.delorean] ?? {})).toEqual(keys);
    },
  );

  it('gives an unmapped companion segment no mapping timestamps', () => {
    const toggled = compiledConfig([{ includeSegmentNames: true, includeSegmentTimestamps: true }]);

    const [decision] = decideExports(
      {
        eventName: 'INSERT',
        newImage: member({
          [SEG.delorean]: membership('realized'),
          [SEG.docBrownFans]: membership('realized'),
        }),
      },
      toggled,
    );

    const ups = decision?.export
      ? (decision.document.segmentMembership as { ups: Record<string, object> }).ups
      : {};
    expect(Object.keys(ups[SEG.docBrownFans] ?? {})).toEqual([
      'lastQualificationTime',
      'status',
      'createdAt',
      'updatedAt',
      'name',
    ]);
  });
});

describe('decideExports(): several destinations', () => {
  it('decides each destination independently', () => {
    const two = compiledConfig([
      { id: 'marketing', segments: [SEG.delorean] },
      { id: 'newsletter', segments: [SEG.newsletterEu], attributes: ['personalEmail.address'] },
    ]);

    const decisions = decideExports(
      {
        eventName: 'MODIFY',
        oldImage: member({}),
        newImage: member({ [SEG.newsletterEu]: membership('realized') }),
      },
      two,
    );

    expect(decisions.map((d) => [d.destinationId, d.export])).toEqual([
      ['marketing', false],
      ['newsletter', true],
    ]);
  });
});

describe('decideExports(): payload size', () => {
  it('rejects a document that Kinesis cannot take, naming the size', () => {
    const huge = 'x'.repeat(1024 * 1024);

    const decision = decideOne({
      eventName: 'INSERT',
      newImage: member({ [SEG.delorean]: membership('realized') }, { person: { name: { firstName: huge } } }),
    });

    expect(decision.export).toBe(false);
    expect(!decision.export && decision.rejection?.code).toBe('PAYLOAD_TOO_LARGE');
    expect(!decision.export && decision.rejection?.message).toMatch(/at most 1048576 bytes/);
  });

  it('accepts a document whose record is exactly 1 MiB', () => {
    const probe = decideOne({
      eventName: 'INSERT',
      newImage: member({ [SEG.delorean]: membership('realized') }, { person: { name: { firstName: '' } } }),
    });
    const overhead = probe.export ? probe.documentBytes + Buffer.byteLength('p-1') : 0;
    const exact = 'x'.repeat(1024 * 1024 - overhead);

    const decision = decideOne({
      eventName: 'INSERT',
      newImage: member(
        { [SEG.delorean]: membership('realized') },
        { person: { name: { firstName: exact } } },
      ),
    });

    expect(decision.export).toBe(true);
    expect(decision.export && decision.documentBytes + 3).toBe(1024 * 1024);
  });
});
