import { partitionOfRegion } from './arn-rules.js';
import type { Destination } from './config.js';

/** The AWS partition of a region (`aws`, `aws-cn`, `aws-us-gov`, …): core/arn-rules.ts knows them. */
export function partitionOf(region: string): string {
  return partitionOfRegion(region);
}

/** The ARN of a destination's Kinesis stream in `account`. */
export function streamArn(d: Pick<Destination, 'region' | 'streamName'>, account: string): string {
  return `arn:${partitionOf(d.region)}:kinesis:${d.region}:${account}:stream/${d.streamName}`;
}

/**
 * The account that owns a destination's stream when the config says: its `accountId`, else the
 * account of its cross-account role (the role lives beside the stream); undefined for the caller's.
 */
export function streamAccountOf(d: Pick<Destination, 'accountId' | 'roleArn'>): string | undefined {
  return d.accountId ?? d.roleArn?.split(':')[4];
}
