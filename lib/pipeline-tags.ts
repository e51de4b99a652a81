import { Tags } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { Destination } from '../core/config.js';
import type { ResolvedDestination } from './destination-streams.js';

/** The tags every taggable resource of a pipeline carries (cost allocation, AWS Backup selection, search). */
export const PIPELINE_TAGS = {
  application: { key: 'Application', value: 'kinesis-destination' },
  /** The ids of the pipeline's destinations, space-separated (tag values allow no comma). */
  destinationIds: 'DestinationIds',
  /** On a resource of one destination (a created stream): its id. */
  destinationId: 'DestinationId',
} as const;

/** AWS tag values have at most 256 characters. */
const MAX_TAG_VALUE = 256;

/**
 * Tags every taggable resource under `scope` with `Application` and `DestinationIds`, and each
 * stream the stack creates with its `DestinationId`.
 */
export function tagPipeline(
  scope: IConstruct,
  destinations: readonly Destination[],
  streams: readonly ResolvedDestination[],
): void {
  Tags.of(scope).add(PIPELINE_TAGS.application.key, PIPELINE_TAGS.application.value);
  Tags.of(scope).add(PIPELINE_TAGS.destinationIds, destinationIdsValue(destinations.map((d) => d.id)));
  for (const r of streams) {
    if (r.created) Tags.of(r.stream).add(PIPELINE_TAGS.destinationId, r.destination.id);
  }
}

/** The ids, space-separated, shortened to fit a tag value (`… +3` for the ids left out). */
export function destinationIdsValue(ids: readonly string[]): string {
  const all = ids.join(' ');
  if (all.length <= MAX_TAG_VALUE) return all;
  const kept: string[] = [];
  for (const id of ids) {
    const rest = ids.length - kept.length - 1;
    if ([...kept, id].join(' ').length + ` +${rest}`.length > MAX_TAG_VALUE) break;
    kept.push(id);
  }
  return `${kept.join(' ')} +${ids.length - kept.length}`;
}
