import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideExports } from '../../../core/decide.js';
import { isPlainObject } from '../../../core/field-path.js';
import { type Profile, safeParseStoredProfile } from '../../../core/profile.js';
import { buildProfileChange } from '../../../core/profile-change.js';
import { mergeProfileWrite } from '../../../core/profile-merge.js';
import { CATALOG, compiledConfig } from '../../helpers/factories.js';

const PATHS = [
  'person.name.firstName',
  'person.name.lastName',
  'person.birthDate',
  'person.gender',
  'personalEmail.address',
  'loyalty.tier',
  'loyalty.points',
  'mobilePhone.number',
  'homeAddress.city',
  'homeAddress.country',
];
const SEGMENT_IDS = [...CATALOG.map((s) => s.id), 'not-in-catalog-1', 'not-in-catalog-2'];

const scalar = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.boolean(),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
);
const status = fc.constantFrom('realized', 'existing', 'exited');

function nest(entries: [string, unknown][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, value] of entries) {
    const parts = path.split('.');
    let node = out;
    for (const part of parts.slice(0, -1)) {
      node[part] = isPlainObject(node[part]) ? node[part] : {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1] as string] = value;
  }
  return out;
}

const attributesArb = fc
  .subarray(PATHS)
  .chain((paths) => fc.tuple(...paths.map((p) => fc.tuple(fc.constant(p), scalar))))
  .map((entries) => nest(entries as [string, unknown][]));

const membershipArb = fc
  .dictionary(
    fc.constantFrom(...SEGMENT_IDS),
    fc.record({ status, lastQualificationTime: fc.constant('2022-01-11T21:24:39Z') }),
  )
  .map((ups) => ({ ups }));

const identityArb = fc.dictionary(
  fc.constantFrom('ecid', 'email_lc_sha256', 'phone_sha256'),
  fc.array(fc.record({ id: fc.string({ minLength: 1, maxLength: 8 }) }), { maxLength: 3 }),
);

const profileArb = fc
  .tuple(attributesArb, membershipArb, identityArb)
  .map(
    ([attributes, segmentMembership, identityMap]) =>
      ({ profileId: 'p-1', ...attributes, segmentMembership, identityMap }) as Profile,
  );

const configArb = fc
  .record({
    destinations: fc.array(
      fc.record({
        segments: fc.subarray(
          CATALOG.map((s) => s.id),
          { minLength: 1 },
        ),
        attributes: fc.subarray(PATHS),
        includeSegmentNames: fc.boolean(),
        includeSegmentTimestamps: fc.boolean(),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .map(({ destinations }) =>
    compiledConfig(
      destinations.map((d, i) => ({
        id: `d${i}`,
        includeSegmentNames: d.includeSegmentNames,
        includeSegmentTimestamps: d.includeSegmentTimestamps,
        segments: d.segments.map((id) => ({ id, mappingCreatedAt: 1, mappingUpdatedAt: 2 })),
        attributes: d.attributes,
      })),
    ),
  );

function attributeLeaves(document: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(document).flatMap(([key, value]) => {
    if (prefix === '' && (key === 'segmentMembership' || key === 'identityMap')) return [];
    const path = prefix === '' ? key : `${prefix}.${key}`;
    return isPlainObject(value) && Object.keys(value).length > 0 ? attributeLeaves(value, path) : [path];
  });
}

describe('decision core properties', () => {
  it('a write of nothing mapped never exports', () => {
    fc.assert(
      fc.property(
        configArb,
        profileArb,
        fc.array(fc.tuple(fc.constantFrom(...PATHS), fc.oneof(scalar, fc.constant(null)))),
        (config, base, writes) => {
          const mapped = new Set(config.destinations.flatMap((d) => [...d.attributeSet]));
          const unmappedWrites = writes.filter(([path]) => !mapped.has(path));
          const stored = mergeProfileWrite(undefined, base, 1).item;
          const next = mergeProfileWrite(
            stored,
            { profileId: 'p-1', ...nest(unmappedWrites) } as Profile,
            2,
          ).item;

          const decisions = decideExports({ eventName: 'MODIFY', oldImage: stored, newImage: next }, config);

          expect(decisions.filter((d) => d.export)).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a payload never contains an unmapped attribute', () => {
    fc.assert(
      fc.property(
        configArb,
        fc.option(profileArb, { nil: undefined }),
        profileArb,
        (config, before, after) => {
          const decisions = decideExports(
            {
              eventName: before === undefined ? 'INSERT' : 'MODIFY',
              ...(before && { oldImage: before }),
              newImage: after,
            },
            config,
          );

          for (const decision of decisions) {
            if (!decision.export) continue;
            const destination = config.destinations.find((d) => d.id === decision.destinationId);
            for (const leaf of attributeLeaves(decision.document)) {
              expect(destination?.attributeSet.has(leaf)).toBe(true);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('no input makes the engine throw: invalid input becomes a typed rejection', () => {
    const image = fc.oneof(
      fc.anything(),
      profileArb,
      fc.record({ profileId: fc.anything(), segmentMembership: fc.anything(), identityMap: fc.anything() }),
    );
    fc.assert(
      fc.property(
        configArb,
        fc.option(image, { nil: undefined }),
        fc.option(image, { nil: undefined }),
        (config, oldImage, newImage) => {
          const [before, after] = [oldImage, newImage].map((image, i) =>
            image === undefined
              ? undefined
              : safeParseStoredProfile(image, i === 0 ? 'oldImage' : 'newImage'),
          );
          if (before?.ok === false || after?.ok === false) {
            const issues = [before, after].flatMap((r) => (r?.ok === false ? r.issues : []));
            expect(issues.length).toBeGreaterThan(0);
            return;
          }
          const built = buildProfileChange({ oldImage: before?.value, newImage: after?.value });

          if (!built.ok) expect(['no-image', 'different-profiles']).toContain(built.problem.kind);
          else expect(decideExports(built.change, config)).toHaveLength(config.destinations.length);
        },
      ),
      { numRuns: 500 },
    );
  });
});
