import { type CompiledConfig, compileConfig } from '../../../core/compiled-config.js';
import { parseConfig } from '../../../core/config.js';
import type { SegmentStatus, StoredProfile } from '../../../core/profile.js';

/** Segment ids used across the core tests. */
export const SEG = {
  john: '5b998cb9-9488-4ec3-8d95-fa8338ced490',
  delorean: 'd1e0f2a3-6f00-4c2b-9d5e-de10aea0c4a5',
  propensity: 'a7c3e9d1-4b2f-4e8a-9c6d-1f2e3d4c5b6a',
  backToTheFuture: '947c1c46-008d-40b0-92ec-3af86eaf41c1',
  docBrownFans: '5114d758-ce71-43ba-b53e-e2a91d67b67f',
  newsletterEu: 'e8f9a0b1-c2d3-4e5f-a6b7-c8d9e0f1a2b3',
} as const;

export const CATALOG = [
  {
    id: SEG.john,
    name: 'First name equals John',
    mergePolicyId: 'mp-default',
    createdAt: 1648553325000,
    updatedAt: 1648553330000,
  },
  {
    id: SEG.delorean,
    name: 'Customers with DeLorean Cars',
    mergePolicyId: 'mp-default',
    createdAt: 1648553325000,
    updatedAt: 1648600000000,
  },
  {
    id: SEG.propensity,
    name: 'High propensity to convert',
    mergePolicyId: 'mp-default',
    createdAt: 1648700000000,
    updatedAt: 1648700000000,
  },
  {
    id: SEG.backToTheFuture,
    name: 'Watched Back to the Future',
    mergePolicyId: 'mp-default',
    createdAt: 1640000000000,
    updatedAt: 1640000000000,
  },
  {
    id: SEG.docBrownFans,
    name: 'Fans of Doc Brown',
    mergePolicyId: 'mp-default',
    createdAt: 1640000000000,
    updatedAt: 1641000000000,
  },
  {
    id: SEG.newsletterEu,
    name: 'Newsletter subscribers',
    mergePolicyId: 'mp-eu',
    createdAt: 1640000000000,
    updatedAt: 1640000000000,
  },
];

export const PAGE_ATTRIBUTES = [
  'person.name.firstName',
  'person.name.lastName',
  'person.birthDate',
  'personalEmail.address',
];

/** Overrides of one destination in {@link makeConfig}. */
export interface DestinationOverrides {
  id?: string;
  segments?: string[];
  attributes?: string[];
  includeSegmentNames?: boolean;
  includeSegmentTimestamps?: boolean;
}

/** A destination entry of the config file. */
export function destination(overrides: DestinationOverrides = {}): Record<string, unknown> {
  return {
    id: overrides.id ?? 'marketing',
    name: 'Amazon Kinesis – marketing',
    region: 'us-east-2',
    streamName: 'profile-exports',
    includeSegmentNames: overrides.includeSegmentNames ?? false,
    includeSegmentTimestamps: overrides.includeSegmentTimestamps ?? false,
    segments: (overrides.segments ?? [SEG.delorean, SEG.john, SEG.propensity]).map((id) => ({
      id,
      mappingCreatedAt: 1649856570000,
      mappingUpdatedAt: 1649856570000,
    })),
    attributes: overrides.attributes ?? PAGE_ATTRIBUTES,
  };
}

/** A validated, compiled config with the given destinations (default: the DeLorean dataflow). */
export function makeConfig(
  destinations: DestinationOverrides[] = [{}],
  catalog: readonly Record<string, unknown>[] = CATALOG,
): CompiledConfig {
  return compileConfig(parseConfig({ destinations: destinations.map(destination), segmentCatalog: catalog }));
}

/** A segment membership entry. */
export function seg(status: SegmentStatus, lastQualificationTime = '2022-01-11T21:24:39Z') {
  return { status, lastQualificationTime };
}

/** A stored profile image: John Doe of the source page, with the given overrides. */
export function john(overrides: Partial<StoredProfile> & Record<string, unknown> = {}): StoredProfile {
  return {
    profileId: 'p-1',
    person: { name: { firstName: 'John', lastName: 'Doe' }, birthDate: '1985-10-26', gender: 'male' },
    personalEmail: { address: 'john.doe@acme.com' },
    mobilePhone: { number: '+1-555-0100' },
    identityMap: {
      ecid: [{ id: '14575006536349286404619648085736425115' }],
      email_lc_sha256: [{ id: '655332b5fa2aea4498bf7a290cff017cb4' }],
    },
    segmentMembership: { ups: {} },
    ...overrides,
  } as StoredProfile;
}

/** John as a member of the given segments. */
export function member(
  ups: Record<string, ReturnType<typeof seg>>,
  overrides: Record<string, unknown> = {},
): StoredProfile {
  return john({ segmentMembership: { ups }, ...overrides });
}
