/**
 * A segment status the source page does not name (`"pending"`) blocks only what it concerns: the
 * exports of the destinations that map that segment. Statuses of segments no destination maps, of
 * another merge policy, or of a companion segment never hold an export back.
 */
import { describe, expect, it } from 'vitest';
import { type DestinationDecision, decideBackfill, decideExports } from '../../../core/decide.js';
import { type StoredProfile, safeParseProfile, safeParseStoredProfile } from '../../../core/profile.js';
import type { ProfileChange } from '../../../core/profile-change.js';
import { compiledConfig, profile as john, SEG } from '../../helpers/factories.js';

/** marketing maps DeLorean, John and Propensity (mp-default); eu maps the EU newsletter (mp-eu). */
const config = compiledConfig([
  {},
  { id: 'eu', segments: [SEG.newsletterEu], attributes: ['person.name.firstName'] },
]);
const NOT_IN_CATALOG = 'f00dfeed-0000-4000-8000-000000000000';

const entry = (status: string, lastQualificationTime = '2022-01-11T21:24:39Z') => ({
  status,
  lastQualificationTime,
});

/** John with these segment entries (any status text, as a raw writer may store it). */
function withUps(ups: Record<string, ReturnType<typeof entry>>, overrides: Record<string, unknown> = {}) {
  const image = john({ segmentMembership: { ups }, ...overrides });
  const parsed = safeParseStoredProfile(image);
  if (!parsed.ok) throw new Error(parsed.issues.join('; '));
  return parsed.value;
}

function decisions(change: ProfileChange): Record<string, DestinationDecision> {
  return Object.fromEntries(decideExports(change, config).map((d) => [d.destinationId, d]));
}

function outcome(d: DestinationDecision | undefined): string {
  if (d === undefined) return 'missing';
  if (d.export) return 'export';
  return d.rejection?.code ?? 'no-export';
}

const qualifies = entry('realized', '2022-02-01T00:00:00Z');

describe('safeParseStoredProfile(): segment statuses', () => {
  it('accepts a stored image whose segment has a status the page does not name', () => {
    expect(safeParseStoredProfile(withUps({ [SEG.backToTheFuture]: entry('pending') })).ok).toBe(true);
  });

  it('still refuses a status that is not text', () => {
    const parsed = safeParseStoredProfile(
      john({
        segmentMembership: { ups: { [SEG.delorean]: { status: 3, lastQualificationTime: 'x' } } },
      } as never),
    );
    expect(parsed.ok).toBe(false);
  });

  it('refuses it in a document given to the profile writer, naming the statuses it takes', () => {
    const parsed = safeParseProfile({
      profileId: 'p-1',
      segmentMembership: { ups: { [SEG.backToTheFuture]: entry('pending') } },
    });

    expect(parsed.ok).toBe(false);
    if (!parsed.ok)
      expect(parsed.issues).toEqual([
        `segmentMembership.ups.${SEG.backToTheFuture}.status: must be one of "realized", "existing", "exited"`,
      ]);
  });
});

describe('decideExports(): a status the page does not name', () => {
  it.each([
    ['a segment in no catalog', NOT_IN_CATALOG, 'export', 'no-export'],
    [
      'a companion segment of marketing (same merge policy, unmapped)',
      SEG.backToTheFuture,
      'export',
      'no-export',
    ],
    ['a segment of another merge policy that only eu maps', SEG.newsletterEu, 'export', 'no-export'],
    ['a segment marketing maps', SEG.john, 'UNKNOWN_SEGMENT_STATUS', 'no-export'],
  ])('on %s: marketing %s, eu %s, when DeLorean is qualified for', (_label, segment, marketing, eu) => {
    const oldImage = withUps({ [segment]: entry('pending') });
    const newImage = withUps({ [segment]: entry('pending'), [SEG.delorean]: qualifies });

    const d = decisions({ eventName: 'MODIFY', oldImage, newImage });

    expect([outcome(d.marketing), outcome(d.eu)]).toEqual([marketing, eu]);
  });

  it('leaves a companion segment with such a status out of the document', () => {
    const newImage = withUps({ [SEG.backToTheFuture]: entry('pending'), [SEG.delorean]: qualifies });

    const d = decisions({ eventName: 'INSERT', newImage }).marketing;

    expect(d?.export).toBe(true);
    const ups = (d?.document?.segmentMembership as { ups?: object } | undefined)?.ups ?? {};
    expect(Object.keys(ups)).toEqual([SEG.delorean]);
  });

  it('refuses the export of the destination that maps it, with the segment, the status and the fix', () => {
    const newImage = withUps({ [SEG.john]: entry('pending'), [SEG.delorean]: qualifies });

    const d = decisions({ eventName: 'INSERT', newImage }).marketing;

    expect(d?.export).toBe(false);
    expect(d && !d.export ? d.rejection : undefined).toEqual({
      code: 'UNKNOWN_SEGMENT_STATUS',
      message: `mapped segment "First name equals John" (${SEG.john}): "pending": not a status the source page names ("realized", "existing", "exited"), so whether the profile is a member cannot be told; the writer of the profile table must write one of them (the export is refused for destination "marketing" only)`,
      field: `segmentMembership.ups.${SEG.john}.status`,
    });
  });

  it.each([
    ['an identity is added', { identityMap: { ecid: [{ id: '1' }, { id: '2' }] } }],
    ['a mapped attribute is written', { person: { name: { firstName: 'Jane' } } }],
  ])(
    'refuses, rather than drops, a change of a profile whose only mapped segment is unclear: %s',
    (_l, change) => {
      const oldImage = withUps(
        { [SEG.newsletterEu]: entry('pending') },
        { identityMap: { ecid: [{ id: '1' }] } },
      );
      const newImage = withUps(
        { [SEG.newsletterEu]: entry('pending') },
        { identityMap: { ecid: [{ id: '1' }] }, ...change },
      );

      const d = decisions({ eventName: 'MODIFY', oldImage, newImage });

      expect([outcome(d.marketing), outcome(d.eu)]).toEqual(['no-export', 'UNKNOWN_SEGMENT_STATUS']);
    },
  );

  it.each([
    ['exited', 'export'],
    ['realized', 'export'],
    ['pending', 'no-export'],
  ])('exports a mapped segment going from "pending" to %s: %s', (after, expected) => {
    const oldImage = withUps({ [SEG.delorean]: entry('pending') });
    const newImage = withUps({ [SEG.delorean]: entry(after, '2022-02-01T00:00:00Z') });

    const d = decisions({ eventName: 'MODIFY', oldImage, newImage }).marketing;

    expect(outcome(d)).toBe(expected);
    if (d?.export) expect(d.reasons[0]?.message).toContain(`"pending" → ${after}`);
  });

  it('refuses the exit of a deleted profile whose mapped segment is unclear', () => {
    const oldImage = withUps({ [SEG.delorean]: entry('pending') });

    const d = decisions({ eventName: 'REMOVE', oldImage });

    expect([outcome(d.marketing), outcome(d.eu)]).toEqual(['UNKNOWN_SEGMENT_STATUS', 'no-export']);
  });
});

describe('decideBackfill(): a status the page does not name', () => {
  const marketing = config.destinations[0];
  if (marketing === undefined) throw new Error('no destination');
  const backfilled = new Set([SEG.delorean]);

  it.each([
    [
      'on an unmapped segment',
      { [SEG.backToTheFuture]: entry('pending'), [SEG.delorean]: qualifies },
      'export',
    ],
    ['on the backfilled segment', { [SEG.delorean]: entry('pending') }, 'UNKNOWN_SEGMENT_STATUS'],
    [
      'on another mapped segment',
      { [SEG.john]: entry('pending'), [SEG.delorean]: qualifies },
      'UNKNOWN_SEGMENT_STATUS',
    ],
    [
      'on another mapped segment, not a member of the backfilled one',
      { [SEG.john]: entry('pending') },
      'none',
    ],
  ])('%s: %s', (_label, ups, expected) => {
    const decision = decideBackfill(withUps(ups) as StoredProfile, marketing, backfilled, config);

    expect(decision === null ? 'none' : outcome(decision)).toBe(expected);
  });
});
