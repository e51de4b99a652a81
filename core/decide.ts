import type { CompiledConfig, CompiledDestination } from './compiled-config.js';
import { hasUnknownMappedStatus, unknownMappedStatuses } from './decide-statuses.js';
import { BOOKKEEPING_FIELD, getAtPath, jsonEqual, splitPath } from './field-path.js';
import { identityChangeSummary } from './identity-change.js';
import { stringifyExact } from './json-text.js';
import { buildExportDocument, type ExportDocument, kinesisRecordBytes } from './payload.js';
import { PIPELINE_SETTINGS } from './pipeline-settings.js';
import { type Bookkeeping, isKnownStatus, isMemberStatus, type StoredProfile } from './profile.js';
import type { ProfileChange } from './profile-change.js';
import type { Reason } from './reasons.js';

/** The decision for one destination. */
export type DestinationDecision =
  | {
      readonly destinationId: string;
      readonly export: true;
      readonly reasons: readonly Reason[];
      readonly document: ExportDocument;
      /** The document's JSON text, numbers digit for digit: the Kinesis record's data. */
      readonly documentJson: string;
      /** UTF-8 size of the document's JSON. */
      readonly documentBytes: number;
      /** The profile version the document reflects (0 when the writer's bookkeeping is absent). */
      readonly profileVersion: number;
    }
  | {
      readonly destinationId: string;
      readonly export: false;
      readonly reasons: readonly Reason[];
      readonly document: null;
      /** Set when the profile should be exported but cannot be. */
      readonly rejection?: Rejection;
      /**
       * Why nothing is exported, for the delivery funnel (set when there is no rejection): the change
       * wrote nothing the destination maps, or it did but the profile is in no mapped segment.
       */
      readonly skip?: 'no-relevant-change' | 'not-qualified';
    };

/**
 * Why a profile is not exported to a destination although its change concerns it:
 * - `PAYLOAD_TOO_LARGE`: the document and partition key are over 1 MiB — the most an export queue
 *   message carries, and the Kinesis record limit every stream accepts (a stream's `MaxRecordSize`
 *   may be raised to 10 MiB, but no export above 1 MiB can reach it: core/stream-rules.ts);
 * - `UNKNOWN_SEGMENT_STATUS`: a segment the destination maps has a status the source page does not
 *   name (`"pending"`) in the image the document is built from. Only that destination's export is
 *   refused: the status of a segment no destination maps (or that another destination maps) never
 *   holds this destination's exports back.
 */
export interface Rejection {
  readonly code: 'PAYLOAD_TOO_LARGE' | 'UNKNOWN_SEGMENT_STATUS';
  readonly message: string;
  /**
   * PAYLOAD_TOO_LARGE: the document's largest part (`person`, `segmentMembership`, `identityMap`…);
   * UNKNOWN_SEGMENT_STATUS: the entry's status, from the profile's root
   * (`segmentMembership.ups.<segment id>.status`).
   */
  readonly field?: string;
}

/** A decision to export: the document and the profile version it reflects. */
export type ExportDecision = Extract<DestinationDecision, { readonly export: true }>;

const MAX_LISTED = 5;
const { maxRecordBytes } = PIPELINE_SETTINGS.putRecords;

function bookkeepingOf(image: StoredProfile | undefined): Bookkeeping | undefined {
  return image?.[BOOKKEEPING_FIELD] as Bookkeeping | undefined;
}

/**
 * The attribute paths this change wrote, from the profile writer's bookkeeping, or `undefined`
 * when the change was not made by the writer (no bookkeeping, or bookkeeping left unchanged):
 * the caller then compares mapped values instead.
 */
function writtenPathsOf(change: ProfileChange): readonly string[] | undefined {
  const next = bookkeepingOf(change.newImage);
  if (next === undefined) return undefined;
  const previous = bookkeepingOf(change.oldImage);
  if (previous !== undefined && previous.v === next.v) return undefined;
  return next.w;
}

function listed(items: readonly string[]): string {
  const head = items.slice(0, MAX_LISTED).join(', ');
  return items.length > MAX_LISTED ? `${head} and ${items.length - MAX_LISTED} more` : head;
}

function describeWrite(oldValue: unknown, newValue: unknown): string {
  if (oldValue === undefined && newValue === undefined) return 'removed, was absent';
  if (oldValue === undefined) return 'added';
  if (newValue === undefined) return 'removed';
  return jsonEqual(oldValue, newValue) ? 'same value' : 'changed';
}

/** Mapped attributes a change wrote, each with how (`same value`, `changed`, …). */
function mappedAttributesWritten(change: ProfileChange, destination: CompiledDestination): string[] {
  const { oldImage, newImage } = change;
  const written = writtenPathsOf(change);
  const hits = new Set<string>();
  if (written === undefined) {
    for (const segments of destination.attributePaths) {
      if (!jsonEqual(getAtPath(oldImage, segments), getAtPath(newImage, segments)))
        hits.add(segments.join('.'));
    }
  } else {
    for (const path of written) {
      if (destination.attributeSet.has(path)) {
        hits.add(path);
        continue;
      }
      if (destination.attributePrefixes.has(path)) {
        // A parent of mapped fields was written as a whole (replaced, removed): each mapped field under it was written.
        for (const mapped of destination.attributeSet) if (mapped.startsWith(`${path}.`)) hits.add(mapped);
        continue;
      }
      // A field inside a mapped object attribute (mapped `person.name`, written `person.name.firstName`).
      let dot = path.lastIndexOf('.');
      while (dot > 0) {
        const prefix = path.slice(0, dot);
        if (destination.attributeSet.has(prefix)) {
          hits.add(prefix);
          break;
        }
        dot = path.lastIndexOf('.', dot - 1);
      }
    }
  }
  return [...hits].map((path) => {
    const segments = splitPath(path);
    return `${path} (${describeWrite(getAtPath(oldImage, segments), getAtPath(newImage, segments))})`;
  });
}

function segmentLabel(id: string, config: CompiledConfig): string {
  const name = config.catalog.get(id)?.name;
  return name === undefined ? id : `"${name}" (${id})`;
}

/**
 * The rejection of a destination's export whose image carries, on a segment the destination maps, a
 * status the source page does not name (core/decide-statuses.ts); undefined when there is none. A
 * companion segment (same merge policy, unmapped) with such a status is left out of the document, as
 * a non-member is.
 */
function unknownStatusRejection(
  image: StoredProfile,
  destination: CompiledDestination,
  config: CompiledConfig,
): Rejection | undefined {
  const unknown = unknownMappedStatuses(image, destination);
  const first = unknown[0];
  if (first === undefined) return undefined;
  const which = listed(
    unknown.map((u) => `${segmentLabel(u.segmentId, config)}: ${JSON.stringify(u.status)}`),
  );
  return {
    code: 'UNKNOWN_SEGMENT_STATUS',
    message: `mapped segment ${which}: not a status the source page names ("realized", "existing", "exited"), so whether the profile is a member cannot be told; the writer of the profile table must write one of them (the export is refused for destination "${destination.id}" only)`,
    field: `segmentMembership.ups.${first.segmentId}.status`,
  };
}

/** The decision not to export, with why. */
function rejected(
  destination: CompiledDestination,
  reasons: Reason[],
  rejection: Rejection,
): DestinationDecision {
  return { destinationId: destination.id, export: false, reasons, document: null, rejection };
}

function isMemberOfMapped(image: StoredProfile | undefined, destination: CompiledDestination): boolean {
  const ups = image?.segmentMembership?.ups;
  if (ups === undefined) return false;
  return destination.segments.some((s) => isMemberStatus(ups[s.id]?.status));
}

/** How {@link finish} builds the document. */
interface FinishOptions {
  /** The profile was deleted: `image` is its last image. */
  readonly deleted: boolean;
  /** The change has a version of its own (the writer's `__kd.v`). @default true */
  readonly versioned?: boolean;
  /** The image before the change (its mapped segment entries that disappeared export as `exited`). */
  readonly previous?: StoredProfile;
}

/** The largest top-level part of a document, and its JSON size. */
function largestPart(document: ExportDocument): { field: string; bytes: number } {
  let largest = { field: '', bytes: -1 };
  for (const [field, value] of Object.entries(document)) {
    const bytes = Buffer.byteLength(stringifyExact(value), 'utf8');
    if (bytes > largest.bytes) largest = { field, bytes };
  }
  return largest;
}

function finish(
  destination: CompiledDestination,
  reasons: Reason[],
  notes: Reason[],
  image: StoredProfile,
  config: CompiledConfig,
  options: FinishOptions,
): DestinationDecision {
  if (reasons.length === 0) {
    const why =
      notes.length > 0
        ? notes
        : [
            {
              code: 'no-export' as const,
              message: 'no mapped segment membership, identity or mapped attribute changed',
            },
          ];
    const skip = notes.length > 0 ? 'not-qualified' : 'no-relevant-change';
    return { destinationId: destination.id, export: false, reasons: why, document: null, skip };
  }
  const { deleted } = options;
  const unknown = unknownStatusRejection(image, destination, config);
  if (unknown !== undefined) return rejected(destination, reasons, unknown);
  const document = buildExportDocument(image, destination, config.catalog, {
    deleted,
    ...(options.previous !== undefined && { previous: options.previous }),
  });
  const json = stringifyExact(document);
  const recordBytes = kinesisRecordBytes(json, image.profileId);
  if (recordBytes > maxRecordBytes) {
    const largest = largestPart(document);
    return rejected(destination, reasons, {
      code: 'PAYLOAD_TOO_LARGE',
      message: `the export document and partition key take ${recordBytes} bytes; an export travels through the export queue, whose messages hold at most ${maxRecordBytes} bytes — also the Kinesis record limit every stream accepts (a stream's MaxRecordSize of up to 10 MiB does not raise it) (largest part: ${largest.field}, ${largest.bytes} bytes): map fewer or smaller attributes`,
      field: largest.field,
    });
  }
  // A change the writer did not make (bookkeeping absent or left as it was) has no version of its
  // own: 0, which the exporter never treats as stale.
  const bookkeeping = options.versioned !== false ? bookkeepingOf(image) : undefined;
  const version = bookkeeping === undefined ? 0 : deleted ? bookkeeping.v + 1 : bookkeeping.v;
  return {
    destinationId: destination.id,
    export: true,
    reasons,
    document,
    documentJson: json,
    documentBytes: recordBytes - Buffer.byteLength(image.profileId, 'utf8'),
    profileVersion: version,
  };
}

function decideDeleted(
  destination: CompiledDestination,
  change: ProfileChange,
  config: CompiledConfig,
): DestinationDecision {
  const old = change.oldImage;
  if (
    old === undefined ||
    !(isMemberOfMapped(old, destination) || hasUnknownMappedStatus(old, destination))
  ) {
    return {
      destinationId: destination.id,
      export: false,
      reasons: [{ code: 'no-export', message: 'profile deleted, but it was in no mapped segment' }],
      document: null,
      skip: 'not-qualified',
    };
  }
  const ups = old.segmentMembership?.ups ?? {};
  // Members, and segments whose status the page does not name (finish refuses those with the reason).
  const exited = destination.segments
    .filter((s) => {
      const status = ups[s.id]?.status;
      return status !== undefined && (isMemberStatus(status) || !isKnownStatus(status));
    })
    .map((s) => segmentLabel(s.id, config));
  return finish(
    destination,
    [{ code: 'profile-deleted', message: `profile deleted: exits mapped segment ${listed(exited)}` }],
    [],
    old,
    config,
    { deleted: true },
  );
}

function decideForDestination(
  destination: CompiledDestination,
  change: ProfileChange,
  config: CompiledConfig,
  identitySummary: () => string | null,
): DestinationDecision {
  if (change.eventName === 'REMOVE' || change.newImage === undefined)
    return decideDeleted(destination, change, config);
  const { oldImage, newImage } = change;
  const reasons: Reason[] = [];
  const notes: Reason[] = [];

  const oldUps = oldImage?.segmentMembership?.ups;
  const newUps = newImage.segmentMembership?.ups;
  for (const mapping of destination.segments) {
    const before = oldUps?.[mapping.id]?.status;
    const after = newUps?.[mapping.id]?.status;
    // A status the page does not name may mean "member": a change to one is refused with the reason
    // (finish), and a change from one to a known status is exported (an exit is never lost; at worst
    // a member is told again that it is one).
    const unknownBefore = before !== undefined && before !== after && !isKnownStatus(before);
    const unclear = unknownBefore || (after !== undefined && after !== before && !isKnownStatus(after));
    if (unclear || isMemberStatus(before) !== isMemberStatus(after)) {
      const now = after ?? 'removed (exported as exited)';
      const was = before === undefined ? 'not a member' : unknownBefore ? JSON.stringify(before) : before;
      reasons.push({
        code: 'segment-membership',
        message: `mapped segment ${segmentLabel(mapping.id, config)}: ${was} → ${now}`,
      });
    }
  }

  // A mapped segment with a status the page does not name may be a membership: such a change goes on
  // to `finish`, which refuses it with the reason rather than drop it as a non-member's.
  const member = isMemberOfMapped(newImage, destination) || hasUnknownMappedStatus(newImage, destination);
  const identities = identitySummary();
  if (identities !== null) {
    if (member) reasons.push({ code: 'identity-map', message: `identity map changed: ${identities}` });
    else
      notes.push({
        code: 'no-export',
        message: `identity map changed (${identities}), but the profile is in no mapped segment`,
      });
  }

  const attributes = mappedAttributesWritten(change, destination);
  if (attributes.length > 0) {
    if (member) reasons.push({ code: 'mapped-attribute', message: `written: ${listed(attributes)}` });
    else
      notes.push({
        code: 'no-export',
        message: `mapped attribute written (${listed(attributes)}), but the profile is in no mapped segment`,
      });
  }
  return finish(destination, reasons, notes, newImage, config, {
    deleted: false,
    versioned: writtenPathsOf(change) !== undefined,
    ...(oldImage !== undefined && { previous: oldImage }),
  });
}

/**
 * Decides, for every destination independently, whether a profile change is exported, why, and
 * with which document. Pure: no I/O; work proportional to the mapped segments and attributes,
 * the paths the change wrote and the identity map.
 */
export function decideExports(change: ProfileChange, config: CompiledConfig): DestinationDecision[] {
  let summary: string | null | undefined;
  const identitySummary = () => {
    if (summary === undefined) summary = identityChangeSummary(change.oldImage, change.newImage);
    return summary;
  };
  return config.destinations.map((d) => decideForDestination(d, change, config, identitySummary));
}

/**
 * The historical backfill's decision: a profile that is a member (`realized`/`existing`) of one of
 * `segmentIds` — segments newly mapped to `destination` — is exported once with reason `backfill`.
 * Returns `null` when the profile is in none of them.
 */
export function decideBackfill(
  profile: StoredProfile,
  destination: CompiledDestination,
  segmentIds: ReadonlySet<string>,
  config: CompiledConfig,
): DestinationDecision | null {
  const ups = profile.segmentMembership?.ups;
  if (ups === undefined) return null;
  const qualified = destination.segments.filter(
    (s) => segmentIds.has(s.id) && isMemberStatus(ups[s.id]?.status),
  );
  // A backfilled segment with a status the page does not name may hold a member: refused with the
  // reason (by finish) rather than skipped as a non-member.
  const unclear = destination.segments.some((s) => {
    const status = ups[s.id]?.status;
    return segmentIds.has(s.id) && status !== undefined && !isKnownStatus(status);
  });
  if (qualified.length === 0 && !unclear) return null;
  const labels = (qualified.length > 0 ? qualified : destination.segments.filter((s) => segmentIds.has(s.id)))
    .filter((s) => ups[s.id] !== undefined)
    .map((s) => segmentLabel(s.id, config));
  return finish(
    destination,
    [{ code: 'backfill', message: `historical backfill: member of newly mapped segment ${listed(labels)}` }],
    [],
    profile,
    config,
    { deleted: false },
  );
}
