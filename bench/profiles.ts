/**
 * The benchmarks' realistic profile: 20 attribute leaves (4 of them mapped), 6 identities and 40
 * segment memberships across 2 merge policies, plus the writer's bookkeeping; and the config that
 * maps 3 segments and 4 attributes of it. Deterministic (seeded), so every run sees the same data.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { type CompiledConfig, compileConfig } from '../core/compiled-config.js';
import { type DestinationConfig, parseConfig } from '../core/config.js';
import type { Profile, StoredProfile } from '../core/profile.js';
import { mergeProfileWrite } from '../core/profile-merge.js';
import { seededRandom } from './stats.js';

const SEGMENT_COUNT = 40;
export const MAPPED_ATTRIBUTES = [
  'person.name.firstName',
  'person.name.lastName',
  'person.birthDate',
  'personalEmail.address',
];

function uuid(random: () => number): string {
  const hex = () => Math.floor(random() * 16).toString(16);
  const part = (n: number) => Array.from({ length: n }, hex).join('');
  return `${part(8)}-${part(4)}-4${part(3)}-a${part(3)}-${part(12)}`;
}

const catalogRandom = seededRandom(7);
/** 40 catalog segments, 20 per merge policy. */
export const SEGMENT_IDS: readonly string[] = Array.from({ length: SEGMENT_COUNT }, () =>
  uuid(catalogRandom),
);

/** The raw config: one destination, 3 mapped segments of `mp-default`, 4 mapped attributes, both toggles on. */
export function benchConfigJson(streamName = 'bench-exports'): DestinationConfig {
  return parseConfig({
    destinations: [
      {
        id: 'bench',
        name: 'Amazon Kinesis – bench',
        region: 'us-east-1',
        streamName,
        includeSegmentNames: true,
        includeSegmentTimestamps: true,
        segments: SEGMENT_IDS.slice(0, 3).map((id) => ({
          id,
          mappingCreatedAt: 1649856570000,
          mappingUpdatedAt: 1649856570000,
        })),
        attributes: MAPPED_ATTRIBUTES,
      },
    ],
    segmentCatalog: SEGMENT_IDS.map((id, i) => ({
      id,
      name: `Benchmark segment ${i}`,
      mergePolicyId: i % 2 === 0 ? 'mp-default' : 'mp-eu',
      createdAt: 1648553325000 + i,
      updatedAt: 1648553330000 + i,
    })),
  });
}

/** The compiled benchmark config. */
export function benchConfig(streamName?: string): CompiledConfig {
  return compileConfig(benchConfigJson(streamName));
}

/** A profile document of the realistic shape (what an upstream writer sends). */
export function benchProfileDocument(index: number, random: () => number): Profile {
  const statuses = ['realized', 'existing', 'exited'] as const;
  const ups: Record<string, { status: (typeof statuses)[number]; lastQualificationTime: string }> = {};
  SEGMENT_IDS.forEach((id, i) => {
    ups[id] = {
      status: statuses[Math.floor(random() * 3)] ?? 'realized',
      lastQualificationTime: `2022-01-${String(1 + (i % 28)).padStart(2, '0')}T21:24:39Z`,
    };
  });
  // The first mapped segment is always realized, so attribute and identity changes are exported.
  const first = SEGMENT_IDS[0] as string;
  ups[first] = { status: 'realized', lastQualificationTime: '2022-01-11T21:24:39Z' };
  const n = String(index).padStart(7, '0');
  const digits = () => String(Math.floor(random() * 1e12)).padStart(12, '0');
  return {
    profileId: `p-${n}`,
    person: {
      name: { firstName: 'John', lastName: `Doe${n}` },
      birthDate: '1985-10-26',
      gender: 'male',
    },
    personalEmail: { address: `john.doe.${n}@acme.com` },
    mobilePhone: { number: `+1-555-${n.slice(-4)}` },
    homeAddress: { street1: '1640 Riverside Drive', city: 'Hill Valley', postalCode: '95420', country: 'US' },
    loyalty: { tier: 'gold', points: Math.floor(random() * 10000) },
    preferences: { language: 'en-US', channel: 'email' },
    lastPurchase: { sku: `SKU-${digits()}`, amount: 49.99, at: '2024-05-01T10:00:00Z' },
    consent: { marketing: 'y' },
    deviceCount: 3,
    browser: 'Firefox',
    identityMap: {
      ecid: [{ id: `${digits()}${digits()}${digits()}` }, { id: `${digits()}${digits()}${digits()}` }],
      email_lc_sha256: [{ id: `${digits()}${digits()}${digits()}abcdef0123456789abcd` }],
      phone_sha256: [{ id: `${digits()}${digits()}${digits()}0123456789abcdef0123` }],
      crmId: [{ id: `CRM-${n}`, primary: true }],
      gaid: [{ id: uuid(random) }],
    },
    segmentMembership: { ups },
  } as Profile;
}

/** Kinds of change the benchmark mixes, a quarter each. */
export const CHANGE_KINDS = ['segment', 'mapped-attribute', 'unmapped-attribute', 'identity'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** The write that produces a change of `kind` on `profile`. */
export function changeWrite(kind: ChangeKind, profile: StoredProfile, step: number): Profile {
  const id = profile.profileId;
  switch (kind) {
    case 'segment': {
      const seg = SEGMENT_IDS[1 + (step % 2)] as string;
      const current = profile.segmentMembership?.ups?.[seg]?.status;
      const status = current === 'realized' || current === 'existing' ? 'exited' : 'realized';
      return {
        profileId: id,
        segmentMembership: { ups: { [seg]: { status, lastQualificationTime: '2024-06-01T12:00:00Z' } } },
      } as Profile;
    }
    case 'mapped-attribute':
      return { profileId: id, personalEmail: { address: `new.${step}.${id}@acme.com` } } as Profile;
    case 'unmapped-attribute':
      return { profileId: id, loyalty: { points: step } } as Profile;
    case 'identity':
      return {
        profileId: id,
        identityMap: { ...profile.identityMap, gaid: [{ id: `gaid-${step}-${id}` }] },
      } as Profile;
  }
}

/** One benchmark record: the stream record and the plain images it carries. */
export interface BenchRecord {
  readonly kind: ChangeKind;
  readonly record: DynamoDBRecord;
  readonly oldImage: StoredProfile;
  readonly newImage: StoredProfile;
}

/** `count` MODIFY stream records over `profiles` profiles, the change kinds in equal shares. */
export function benchStreamRecords(count: number, profiles = 1000): BenchRecord[] {
  const random = seededRandom(42);
  const stored: StoredProfile[] = Array.from(
    { length: profiles },
    (_, i) => mergeProfileWrite(undefined, benchProfileDocument(i, random), 1_700_000_000_000 + i).item,
  );
  const records: BenchRecord[] = [];
  for (let i = 0; i < count; i++) {
    const p = i % profiles;
    const oldImage = stored[p] as StoredProfile;
    const kind = CHANGE_KINDS[i % CHANGE_KINDS.length] as ChangeKind;
    const newImage = mergeProfileWrite(oldImage, changeWrite(kind, oldImage, i), 1_700_000_100_000 + i).item;
    stored[p] = newImage;
    records.push({
      kind,
      oldImage,
      newImage,
      record: {
        eventID: `event-${i}`,
        eventName: 'MODIFY',
        eventSource: 'aws:dynamodb',
        awsRegion: 'us-east-1',
        dynamodb: {
          ApproximateCreationDateTime: 1_700_000_100 + i / 1000,
          Keys: marshall({ profileId: oldImage.profileId }) as never,
          OldImage: marshall(oldImage, { removeUndefinedValues: true }) as never,
          NewImage: marshall(newImage, { removeUndefinedValues: true }) as never,
          SequenceNumber: String(1e20 + i),
          StreamViewType: 'NEW_AND_OLD_IMAGES',
        },
      },
    });
  }
  return records;
}
