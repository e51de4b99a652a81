import { BOOKKEEPING_FIELD, isPlainObject, NON_ATTRIBUTE_FIELDS, setOwn } from './field-path.js';
import type { Bookkeeping, Profile, StoredProfile } from './profile.js';

/** The outcome of merging one written document into the stored profile. */
export interface MergedWrite {
  /** The item to store, bookkeeping included. */
  readonly item: StoredProfile;
  /** Attribute paths the document gave (its leaves; `null` leaves are removals). */
  readonly written: readonly string[];
  readonly version: number;
}

function mergeAttribute(
  target: Record<string, unknown>,
  key: string,
  value: unknown,
  path: string,
  written: string[],
): void {
  if (value === null) {
    delete target[key];
    written.push(path);
    return;
  }
  if (isPlainObject(value)) {
    // Own properties only: a field named `__proto__` or `constructor` is the document's own.
    const existing = Object.hasOwn(target, key) ? target[key] : undefined;
    const next: Record<string, unknown> = isPlainObject(existing) ? { ...existing } : {};
    const keys = Object.keys(value);
    if (keys.length === 0) {
      if (!isPlainObject(existing)) {
        setOwn(target, key, next);
        written.push(path);
      }
      return;
    }
    for (const child of keys) mergeAttribute(next, child, value[child], `${path}.${child}`, written);
    setOwn(target, key, next);
    return;
  }
  setOwn(target, key, value);
  written.push(path);
}

/**
 * Merges a written profile document into the stored profile (pure).
 *
 * - Attributes merge deeply: objects merge field by field; scalars and arrays replace; `null` removes.
 *   Every leaf the document gives is recorded as written — even when its value is unchanged.
 * - `identityMap` merges by namespace (a given namespace replaces that namespace's identities).
 * - `segmentMembership.ups` merges by segment id (a given entry replaces that segment's entry).
 * - The bookkeeping (`__kd`) gets a new version `max(previous + 1, now)` — so every write changes
 *   the item and DynamoDB Streams emits a record even for a same-value overwrite — and the list of
 *   written paths. The version survives deletes because it follows the clock.
 */
export function mergeProfileWrite(
  stored: StoredProfile | undefined,
  document: Profile,
  now: number,
): MergedWrite {
  const item: Record<string, unknown> =
    stored === undefined ? { profileId: document.profileId } : { ...stored };
  const written: string[] = [];
  for (const [key, value] of Object.entries(document)) {
    if (key === 'profileId' || key === BOOKKEEPING_FIELD) continue;
    if (key === 'identityMap' && isPlainObject(value)) {
      item.identityMap = { ...(isPlainObject(item.identityMap) ? item.identityMap : {}), ...value };
      continue;
    }
    if (key === 'segmentMembership' && isPlainObject(value)) {
      const current = isPlainObject(item.segmentMembership) ? item.segmentMembership : {};
      const merged: Record<string, unknown> = { ...current };
      for (const [ns, entries] of Object.entries(value)) {
        const before = Object.hasOwn(current, ns) ? current[ns] : undefined;
        setOwn(
          merged,
          ns,
          isPlainObject(entries) ? { ...(isPlainObject(before) ? before : {}), ...entries } : entries,
        );
      }
      item.segmentMembership = merged;
      continue;
    }
    if (NON_ATTRIBUTE_FIELDS.has(key)) continue;
    mergeAttribute(item, key, value, key, written);
  }
  const previous = (stored?.[BOOKKEEPING_FIELD] as Bookkeeping | undefined)?.v ?? 0;
  const version = Math.max(previous + 1, now);
  const bookkeeping: Bookkeeping = { v: version, w: written, at: now };
  item[BOOKKEEPING_FIELD] = bookkeeping;
  return { item: item as StoredProfile, written, version };
}
