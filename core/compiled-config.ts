import type { CatalogSegment, Destination, DestinationConfig, MappedSegment } from './config.js';
import { BOOKKEEPING_FIELD, NON_ATTRIBUTE_FIELDS, splitPath } from './field-path.js';

/** A destination prepared for fast evaluation: lookups are sets and maps, paths pre-split and ordered. */
export interface CompiledDestination {
  readonly id: string;
  readonly source: Destination;
  /** Mapped segments in mapping order. */
  readonly segments: readonly MappedSegment[];
  readonly mappedSegmentIds: ReadonlySet<string>;
  /** Merge policies of the mapped segments: other segments of these policies are exported too. */
  readonly mergePolicyIds: ReadonlySet<string>;
  /** Catalog segments of those merge policies that are not mapped, in catalog order. */
  readonly companionSegments: readonly CatalogSegment[];
  /** Mapped attribute paths, split, ordered by field name at each level (the payload's key order). */
  readonly attributePaths: readonly (readonly string[])[];
  /** Mapped attribute paths as strings, for "was this written?" checks. */
  readonly attributeSet: ReadonlySet<string>;
  /** Every proper prefix of a mapped attribute (`person`, `person.name`): writing one replaces mapped fields. */
  readonly attributePrefixes: ReadonlySet<string>;
  readonly includeSegmentNames: boolean;
  readonly includeSegmentTimestamps: boolean;
}

/** The whole config prepared once per cold start. */
export interface CompiledConfig {
  readonly destinations: readonly CompiledDestination[];
  readonly catalog: ReadonlyMap<string, CatalogSegment>;
  /**
   * Top-level profile fields the decision reads: the first field of every mapped attribute, plus
   * `profileId`, `identityMap`, `segmentMembership` and the writer's bookkeeping. A stream image
   * needs only these unmarshalled.
   */
  readonly fieldsRead: ReadonlySet<string>;
}

function comparePaths(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * Prepares a validated config for {@link decideExports}. Call once per cold start.
 * Never throws for a config that passed `parseConfig`.
 */
export function compileConfig(config: DestinationConfig): CompiledConfig {
  const catalog = new Map(config.segmentCatalog.map((s) => [s.id, s]));
  const destinations = config.destinations.map((d): CompiledDestination => {
    const mappedSegmentIds = new Set(d.segments.map((s) => s.id));
    const mergePolicyIds = new Set<string>();
    for (const s of d.segments) {
      const entry = catalog.get(s.id);
      if (entry !== undefined) mergePolicyIds.add(entry.mergePolicyId);
    }
    const attributePaths = d.attributes.map(splitPath).sort(comparePaths);
    const attributePrefixes = new Set<string>();
    for (const segments of attributePaths) {
      for (let i = 1; i < segments.length; i++) attributePrefixes.add(segments.slice(0, i).join('.'));
    }
    return {
      id: d.id,
      source: d,
      segments: d.segments,
      mappedSegmentIds,
      mergePolicyIds,
      companionSegments: config.segmentCatalog.filter(
        (s) => !mappedSegmentIds.has(s.id) && mergePolicyIds.has(s.mergePolicyId),
      ),
      attributePaths,
      attributeSet: new Set(d.attributes),
      attributePrefixes,
      includeSegmentNames: d.includeSegmentNames,
      includeSegmentTimestamps: d.includeSegmentTimestamps,
    };
  });
  const fieldsRead = new Set<string>([...NON_ATTRIBUTE_FIELDS, BOOKKEEPING_FIELD]);
  for (const d of destinations) for (const path of d.attributePaths) fieldsRead.add(path[0] as string);
  return { destinations, catalog, fieldsRead };
}
