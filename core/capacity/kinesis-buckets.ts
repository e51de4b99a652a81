/**
 * The destination streams' write limits in the simulation: one token bucket of records and one of
 * bytes per shard (1,000 records and 1 MB a second, one second of burst), or per on-demand stream.
 */
import { aws } from './aws-figures.js';
import { mix } from './event-queue.js';
import type { KinesisCapacity } from './parameters.js';

interface Bucket {
  records: number;
  bytes: number;
  at: number;
  acceptedBytes: number;
  acceptedRecords: number;
}

/** Every destination stream's shards. */
export class KinesisBuckets {
  private readonly buckets: Bucket[];
  private readonly shards: number;
  private readonly recordRate: number;
  private readonly byteRate: number;
  /** Entries refused with ProvisionedThroughputExceeded. */
  throttled = 0;

  constructor(
    capacity: KinesisCapacity,
    private readonly destinations: number,
  ) {
    if (capacity.mode === 'provisioned') {
      this.shards = Math.max(1, capacity.shards);
      this.recordRate = aws('kinesisShardRecordsPerSecond') / 1000;
      this.byteRate = aws('kinesisShardBytesPerSecond') / 1000;
    } else {
      this.shards = 1;
      this.recordRate = capacity.recordsPerSecond / 1000;
      this.byteRate = capacity.bytesPerSecond / 1000;
    }
    this.buckets = Array.from({ length: this.shards * destinations }, () => ({
      records: this.recordRate * 1000,
      bytes: this.byteRate * 1000,
      at: 0,
      acceptedBytes: 0,
      acceptedRecords: 0,
    }));
  }

  /** Puts one record of `profile` to destination `destination` at `at` ms; false when throttled. */
  put(destination: number, profile: number, bytes: number, at: number): boolean {
    const shard = this.shards === 1 ? 0 : mix(profile, 0x4b1d) % this.shards;
    const bucket = this.buckets[destination * this.shards + shard] as Bucket;
    const elapsed = Math.max(0, at - bucket.at);
    bucket.records = Math.min(this.recordRate * 1000, bucket.records + elapsed * this.recordRate);
    bucket.bytes = Math.min(this.byteRate * 1000, bucket.bytes + elapsed * this.byteRate);
    bucket.at = Math.max(bucket.at, at);
    if (bucket.records < 1 || bucket.bytes < bytes) {
      this.throttled += 1;
      return false;
    }
    bucket.records -= 1;
    bucket.bytes -= bytes;
    bucket.acceptedBytes += bytes;
    bucket.acceptedRecords += 1;
    return true;
  }

  /** The busiest shard's share of its limits over `seconds`. */
  hottestUtilisation(seconds: number): number {
    let max = 0;
    for (const b of this.buckets) {
      const use = Math.max(
        b.acceptedRecords / (this.recordRate * 1000 * seconds),
        b.acceptedBytes / (this.byteRate * 1000 * seconds),
      );
      max = Math.max(max, use);
    }
    return max;
  }

  /** Number of destinations the buckets serve. */
  get destinationCount(): number {
    return this.destinations;
  }
}
