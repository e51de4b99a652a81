import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safeParseStoredProfile, storedProfileSchema } from '../../../core/profile.js';

// Values on both sides of every rule of storedProfileSchema.
const odd = fc.oneof(
  fc.constantFrom(
    '',
    'x',
    '1.5',
    'a.b',
    '-x',
    '__proto__',
    'x'.repeat(257),
    'realized',
    'REALIZED',
    '2022-01-11T21:24:39Z',
    '2022-01-11 21:24:39',
    0,
    -1,
    1.5,
    -0,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2 ** 53,
    true,
    null,
    undefined,
    [],
    {},
  ),
  fc.string({ maxLength: 4 }),
  fc.integer(),
);

const validProfile = fc.record({
  profileId: fc.string({ minLength: 1, maxLength: 20 }),
  identityMap: fc.dictionary(
    fc.constantFrom('ecid', 'email_lc_sha256', 'crmId'),
    fc.array(
      fc.record(
        { id: fc.string({ minLength: 1 }), authenticatedState: fc.string(), primary: fc.boolean() },
        { requiredKeys: ['id'] },
      ),
    ),
  ),
  segmentMembership: fc.record({
    ups: fc.dictionary(
      fc.constantFrom('s1', 's2', 's3'),
      fc.record({
        status: fc.constantFrom('realized', 'existing', 'exited'),
        lastQualificationTime: fc.constantFrom('2022-01-11T21:24:39Z', '2019-04-15T02:41:50.5+0000'),
      }),
    ),
  }),
  __kd: fc.record({ v: fc.nat(), w: fc.array(fc.string()), at: fc.nat() }),
  person: fc.record({ name: fc.string() }),
});

type Mutable = Record<string, unknown>;
const obj = (v: unknown): Mutable => (typeof v === 'object' && v !== null ? (v as Mutable) : {});

/** One targeted change of one rule's input, applied to a deep copy of a valid profile. */
const mutation = fc.oneof(
  fc.tuple(fc.constant('profileId'), odd),
  fc.tuple(fc.constant('identityMap'), odd),
  fc.tuple(fc.constant('namespace'), odd),
  fc.tuple(fc.constant('identities'), odd),
  fc.tuple(fc.constant('identity'), odd),
  fc.tuple(fc.constant('identity.id'), odd),
  fc.tuple(fc.constant('identity.authenticatedState'), odd),
  fc.tuple(fc.constant('identity.primary'), odd),
  fc.tuple(fc.constant('segmentMembership'), odd),
  fc.tuple(fc.constant('ups'), odd),
  fc.tuple(fc.constant('segmentId'), odd),
  fc.tuple(fc.constant('entry'), odd),
  fc.tuple(fc.constant('entry.status'), odd),
  fc.tuple(fc.constant('entry.lastQualificationTime'), odd),
  fc.tuple(fc.constant('__kd'), odd),
  fc.tuple(fc.constant('__kd.v'), odd),
  fc.tuple(fc.constant('__kd.at'), odd),
  fc.tuple(fc.constant('__kd.w'), odd),
  fc.tuple(fc.constant('__kd.w[]'), odd),
  fc.tuple(fc.constant('__kd.extra'), odd),
  fc.tuple(fc.constant('delete'), fc.constantFrom('identityMap', 'segmentMembership', '__kd', 'profileId')),
);

function apply(profile: Mutable, [where, shared]: [string, unknown]): void {
  // fast-check hands out the same `[]` and `{}` constants to every run: never mutate them.
  const value = structuredClone(shared);
  const identityMap = obj(profile.identityMap);
  const firstNs = Object.keys(identityMap)[0] ?? 'ecid';
  const identities = Array.isArray(identityMap[firstNs]) ? (identityMap[firstNs] as unknown[]) : [];
  const ups = obj(obj(profile.segmentMembership).ups);
  const entry = obj(ups[Object.keys(ups)[0] ?? 's1']);
  const kd = obj(profile.__kd);
  switch (where) {
    case 'namespace':
      identityMap[String(value)] = [{ id: 'x' }];
      break;
    case 'identities':
      identityMap[firstNs] = value;
      break;
    case 'identity':
      identities.push(value);
      identityMap[firstNs] = identities;
      break;
    case 'identity.id':
    case 'identity.authenticatedState':
    case 'identity.primary':
      identities.push({ id: 'x', [where.slice(9)]: value });
      identityMap[firstNs] = identities;
      break;
    case 'segmentId':
      ups[String(value)] = { status: 'realized', lastQualificationTime: '2022-01-11T21:24:39Z' };
      break;
    case 'entry':
      ups.s9 = value;
      break;
    case 'entry.status':
      entry.status = value;
      ups.s8 = entry;
      break;
    case 'entry.lastQualificationTime':
      entry.lastQualificationTime = value;
      ups.s8 = entry;
      break;
    case 'ups':
      obj(profile.segmentMembership).ups = value;
      break;
    case '__kd.v':
    case '__kd.at':
    case '__kd.w':
    case '__kd.extra':
      kd[where.slice(5)] = value;
      break;
    case '__kd.w[]':
      kd.w = [...(Array.isArray(kd.w) ? kd.w : []), value];
      break;
    case 'delete':
      delete profile[String(value)];
      break;
    default:
      profile[where] = value;
  }
}

describe('safeParseStoredProfile()', () => {
  it('accepts and returns exactly what the zod schema accepts and returns', () => {
    fc.assert(
      fc.property(validProfile, fc.array(mutation, { maxLength: 2 }), (valid, mutations) => {
        const input = structuredClone(valid) as Mutable;
        for (const m of mutations) apply(input, m);
        const fast = safeParseStoredProfile(input);
        const zod = storedProfileSchema.safeParse(input);
        expect(fast.ok).toBe(zod.success);
        if (fast.ok && zod.success) expect(fast.value).toEqual(zod.data);
      }),
      { numRuns: 4000 },
    );
  });

  it('leaves objects that are not plain records to zod', () => {
    const profile = { profileId: 'p-1', identityMap: new Map(), segmentMembership: { ups: new Set() } };
    expect(safeParseStoredProfile(profile).ok).toBe(storedProfileSchema.safeParse(profile).success);
  });
});
