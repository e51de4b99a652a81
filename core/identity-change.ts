/** What an identity change is, by the source page: an identity added, removed or changed (by id). */
import { jsonEqual } from './field-path.js';
import type { StoredProfile } from './profile.js';

type Identity = { readonly id: string };

function identitiesById(identities: readonly Identity[]): Map<string, Identity[]> {
  const byId = new Map<string, Identity[]>();
  for (const identity of identities) {
    const same = byId.get(identity.id);
    if (same === undefined) byId.set(identity.id, [identity]);
    else same.push(identity);
  }
  return byId;
}

/**
 * How a namespace's identities changed, by id: `+n` added, `-n` removed, `n changed` (same id,
 * other fields or count); `null` when none was (the same identities in another order, or an empty
 * namespace appearing or disappearing).
 */
function namespaceChange(before: readonly Identity[], after: readonly Identity[]): string | null {
  const b = identitiesById(before);
  const a = identitiesById(after);
  let added = 0;
  let removed = 0;
  let changed = 0;
  for (const [id, list] of a) {
    const previous = b.get(id);
    if (previous === undefined) added += list.length;
    else if (!jsonEqual(previous, list)) changed += 1;
  }
  for (const [id, list] of b) if (!a.has(id)) removed += list.length;
  if (added + removed + changed === 0) return null;
  return [
    added > 0 ? `+${added}` : '',
    removed > 0 ? `-${removed}` : '',
    changed > 0 ? `${changed} changed` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/**
 * What changed in the identity map — an identity added, removed or changed — by namespace and
 * count; `null` when no identity did.
 */
export function identityChangeSummary(
  oldImage: StoredProfile | undefined,
  newImage: StoredProfile | undefined,
): string | null {
  const before = oldImage?.identityMap ?? {};
  const after = newImage?.identityMap ?? {};
  if (jsonEqual(before, after)) return null;
  const parts: string[] = [];
  for (const ns of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const b = before[ns] ?? [];
    const a = after[ns] ?? [];
    if (jsonEqual(b, a)) continue;
    const change = namespaceChange(b, a);
    // Identity values are personal data: the summary names namespaces and counts only.
    if (change !== null) parts.push(`${ns} ${change}`);
  }
  return parts.length === 0 ? null : parts.join(', ');
}
