import type { CompiledDestination } from './compiled-config.js';
import type { CatalogSegment, MappedSegment } from './config.js';
import { getAtPath, setAtPath, setOwn } from './field-path.js';
import {
  isKnownStatus,
  isMemberStatus,
  type SegmentEntry,
  type SegmentStatus,
  type StoredProfile,
} from './profile.js';

/** The export document: mapped attributes, then `segmentMembership.ups`, then the whole `identityMap`. */
export type ExportDocument = Record<string, unknown>;

/** One `segmentMembership.ups` entry, keys in the source page's order. */
export interface ExportedSegmentEntry {
  lastQualificationTime: string;
  status: SegmentStatus;
  createdAt?: number;
  updatedAt?: number;
  mappingCreatedAt?: number;
  mappingUpdatedAt?: number;
  name?: string;
}

function exportedEntry(
  entry: SegmentEntry,
  status: SegmentStatus,
  catalog: CatalogSegment | undefined,
  mapping: MappedSegment | undefined,
  destination: CompiledDestination,
): ExportedSegmentEntry {
  const out: ExportedSegmentEntry = { lastQualificationTime: entry.lastQualificationTime, status };
  if (destination.includeSegmentTimestamps) {
    if (catalog !== undefined) {
      out.createdAt = catalog.createdAt;
      out.updatedAt = catalog.updatedAt;
    }
    if (mapping !== undefined) {
      out.mappingCreatedAt = mapping.mappingCreatedAt;
      out.mappingUpdatedAt = mapping.mappingUpdatedAt;
    }
  }
  if (destination.includeSegmentNames && catalog !== undefined) out.name = catalog.name;
  return out;
}

/** Options of {@link buildExportDocument}. */
export interface BuildDocumentOptions {
  /**
   * The profile was deleted: its mapped segments are exported as `exited` and no other segment
   * is included (a deleted profile is a member of nothing).
   */
  readonly deleted?: boolean;
  /**
   * The profile before this change: a mapped segment whose entry it had and `profile` lacks (the
   * entry, or the whole `segmentMembership`, was removed) is exported as `exited` with its last
   * `lastQualificationTime`, so the consumer learns which segment was left.
   * @default - no previous image
   */
  readonly previous?: StoredProfile;
}

/**
 * Builds the export document of `profile` for `destination`, in the source page's exact shape:
 * - the mapped attributes only, nested by path, field names in order at each level; a mapped
 *   attribute the profile lacks is left out;
 * - `segmentMembership.ups`: every mapped segment present on the profile (mapping order; one whose
 *   entry disappeared since `options.previous` as `exited`), then every other segment the profile
 *   is a member of whose merge policy is that of a mapped segment (catalog order);
 * - the whole `identityMap`.
 * Work is proportional to the mapped attributes and segments, plus the identity map it copies.
 */
export function buildExportDocument(
  profile: StoredProfile,
  destination: CompiledDestination,
  catalog: ReadonlyMap<string, CatalogSegment>,
  options: BuildDocumentOptions = {},
): ExportDocument {
  const document: ExportDocument = {};
  for (const path of destination.attributePaths) {
    const value = getAtPath(profile, path);
    if (value !== undefined) setAtPath(document, path, value);
  }

  // Segment ids are keys of their own (setOwn): an id such as `__proto__` never reaches a prototype.
  const ups: Record<string, ExportedSegmentEntry> = {};
  const memberships = profile.segmentMembership?.ups;
  const before = options.previous?.segmentMembership?.ups;
  if (memberships !== undefined || before !== undefined) {
    for (const mapping of destination.segments) {
      const entry = memberships?.[mapping.id];
      const left = entry === undefined ? before?.[mapping.id] : undefined;
      if (entry === undefined && left === undefined) continue;
      const status = options.deleted === true || entry === undefined ? 'exited' : entry.status;
      // A status the page does not name is never exported: the decision rejects such a document
      // for the destination before building it (core/decide.ts), so this only guards direct calls.
      if (!isKnownStatus(status)) continue;
      setOwn(
        ups,
        mapping.id,
        exportedEntry((entry ?? left) as SegmentEntry, status, catalog.get(mapping.id), mapping, destination),
      );
    }
    if (options.deleted !== true && memberships !== undefined) {
      for (const companion of destination.companionSegments) {
        const entry = memberships[companion.id];
        if (entry !== undefined && isMemberStatus(entry.status)) {
          setOwn(ups, companion.id, exportedEntry(entry, entry.status, companion, undefined, destination));
        }
      }
    }
  }
  document.segmentMembership = { ups };
  document.identityMap = profile.identityMap ?? {};
  return document;
}

/**
 * UTF-8 size of a Kinesis record: the JSON data plus the partition key (at most
 * `PIPELINE_SETTINGS.putRecords.maxRecordBytes`).
 */
export function kinesisRecordBytes(documentJson: string, partitionKey: string): number {
  return Buffer.byteLength(documentJson, 'utf8') + Buffer.byteLength(partitionKey, 'utf8');
}
