import type { CompiledDestination } from './compiled-config.js';
import { isKnownStatus, type StoredProfile } from './profile.js';

/**
 * Segment statuses the source page does not name (`"pending"`), judged where they matter: only on the
 * segments a destination maps, for that destination (core/decide.ts). The statuses of other segments
 * are never looked at, so one such value never holds back the exports it does not concern.
 */

/** A mapped segment's entry whose status the page does not name. */
export interface UnknownStatus {
  readonly segmentId: string;
  readonly status: string;
}

const NONE: readonly UnknownStatus[] = [];

/** The segments `destination` maps whose status in `image` the page does not name, in mapping order. */
export function unknownMappedStatuses(
  image: StoredProfile | undefined,
  destination: CompiledDestination,
): readonly UnknownStatus[] {
  const ups = image?.segmentMembership?.ups;
  if (ups === undefined) return NONE;
  let found: UnknownStatus[] | undefined;
  for (const s of destination.segments) {
    const status = ups[s.id]?.status;
    if (status === undefined || isKnownStatus(status)) continue;
    found ??= [];
    found.push({ segmentId: s.id, status });
  }
  return found ?? NONE;
}

/**
 * True when a segment the destination maps has, in `image`, a status the page does not name: the
 * profile may be a member, so a change that would export a member is refused with the reason instead
 * of being dropped as a non-member's.
 */
export function hasUnknownMappedStatus(
  image: StoredProfile | undefined,
  destination: CompiledDestination,
): boolean {
  return unknownMappedStatuses(image, destination).length > 0;
}
