/**
 * The fault suite's bookkeeping: a workload whose every export carries a unique token
 * (`<profileId>.w<k>@example.com` in the mapped `personalEmail.address`), and a tally that finds
 * each expected export in Kinesis, in the dead-letter queue or in the rejects queue, by its token.
 */
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import {
  ChangeMessageVisibilityBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { CatalogSegment, DestinationConfig } from '../../core/config.js';
import { config, destination, membership, SEG, segment } from '../helpers/factories.js';

/** The mapped segment every workload profile is a member of. */
export const FAULT_SEGMENT: string = SEG.john;

/** Options of {@link faultConfig}. */
export interface FaultConfigOptions {
  /** Export the segments' names (documents grow with the catalog). @default false */
  readonly includeSegmentNames?: boolean;
  /** Segments added to the catalog after {@link FAULT_SEGMENT}. */
  readonly extraCatalog?: readonly CatalogSegment[];
}

/**
 * The fault suite's config: one destination `faults` (stream `fault-exports`) mapping
 * {@link FAULT_SEGMENT}, with `person.name.lastName` and `personalEmail.address` (the token) mapped.
 */
export function faultConfig(options: FaultConfigOptions = {}): DestinationConfig {
  return config({
    destinations: [
      destination({
        id: 'faults',
        region: 'us-east-1',
        streamName: 'fault-exports',
        includeSegmentNames: options.includeSegmentNames ?? false,
        segments: [FAULT_SEGMENT],
        attributes: ['person.name.lastName', 'personalEmail.address'],
      }),
    ],
    segmentCatalog: [segment({ id: FAULT_SEGMENT }), ...(options.extraCatalog ?? [])],
  });
}

/** The token of write `k` of `profileId`; it is exported as the profile's email address. */
export function tokenOf(profileId: string, k: number): string {
  return `${profileId}.w${k}@example.com`;
}

const TOKEN = /([A-Za-z0-9_-]+)\.w(\d+)@example\.com/g;

/** Tokens found in a text (a Kinesis record, a queue message body), as `profileId → [k…]`. */
export function tokensIn(text: string): { profileId: string; k: number }[] {
  return [...text.matchAll(TOKEN)].map((m) => ({ profileId: m[1] as string, k: Number(m[2]) }));
}

/** Write `k` of a workload profile: the first makes it a member of the mapped segment. */
export function workloadDocument(profileId: string, k: number): Record<string, unknown> {
  if (k === 0) {
    return {
      profileId,
      person: { name: { firstName: 'John', lastName: `Doe-${profileId}` } },
      personalEmail: { address: tokenOf(profileId, 0) },
      identityMap: { crmId: [{ id: `crm-${profileId}` }] },
      segmentMembership: {
        ups: { [FAULT_SEGMENT]: membership('realized', '2022-01-11T21:24:39Z') },
      },
    };
  }
  return { profileId, personalEmail: { address: tokenOf(profileId, k) } };
}

/** One Kinesis record as read back. */
export interface ReadRecord {
  readonly partitionKey: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly data: string;
}

/** Every record of every shard of `streamName`, in shard order (bounded pages). */
export async function readStream(kinesis: KinesisClient, streamName: string): Promise<ReadRecord[]> {
  const description = await kinesis.send(new DescribeStreamCommand({ StreamName: streamName }));
  const out: ReadRecord[] = [];
  for (const shard of description.StreamDescription?.Shards ?? []) {
    const shardId = shard.ShardId as string;
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    let iterator = ShardIterator;
    for (let page = 0; page < 10_000 && iterator !== undefined; page++) {
      const result = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      const records = result.Records ?? [];
      for (const r of records) {
        out.push({
          partitionKey: r.PartitionKey ?? '',
          shardId,
          sequenceNumber: r.SequenceNumber ?? '',
          data: Buffer.from(r.Data ?? new Uint8Array()).toString('utf8'),
        });
      }
      if (records.length === 0) break;
      iterator = result.NextShardIterator;
    }
  }
  return out;
}

/** One queue message as peeked. */
export interface PeekedMessage {
  readonly body: string;
  readonly attributes: Record<string, string>;
  readonly receiveCount: number;
}

/**
 * Receives every visible message of a queue without deleting it, then makes them visible again.
 * Each stays invisible for at most `visibilitySeconds` while the peek runs. Bounded: stops after
 * two empty receives.
 */
export async function peekQueue(
  sqs: SQSClient,
  queueUrl: string,
  visibilitySeconds = 60,
): Promise<PeekedMessage[]> {
  const out: PeekedMessage[] = [];
  const receipts: string[] = [];
  let empty = 0;
  for (let i = 0; i < 5_000 && empty < 2; i++) {
    const result = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: visibilitySeconds,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    const messages = result.Messages ?? [];
    if (messages.length === 0) empty++;
    for (const m of messages) if (m.ReceiptHandle !== undefined) receipts.push(m.ReceiptHandle);
    for (const m of messages) {
      const attributes: Record<string, string> = {};
      for (const [name, value] of Object.entries(m.MessageAttributes ?? {}))
        attributes[name] = value.StringValue ?? '';
      out.push({
        body: m.Body ?? '',
        attributes,
        receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
      });
    }
  }
  // Give them back at once: the next tally or a redrive must see them.
  for (let i = 0; i < receipts.length; i += 10) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: receipts.slice(i, i + 10).map((handle, j) => ({
          Id: String(j),
          ReceiptHandle: handle,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
  return out;
}

/** What a scenario ended with. */
export interface Tally {
  expected: number;
  delivered: number;
  deadLettered: number;
  rejected: number;
  /** Expected exports skipped because a newer version of the profile was already delivered. */
  superseded: number;
  /** Kinesis records beyond the first of the same export. */
  duplicated: number;
  /** Expected exports found nowhere. */
  lost: number;
  /** Profiles whose delivered exports are not in write order. */
  orderViolations: number;
  /** Dead-lettered or rejected exports whose reason could not be found. */
  withoutReason: number;
  /** A few lost exports, for the failure message. */
  lostSample: string[];
}

/** Options of {@link tallyScenario}. */
export interface TallyInput {
  /** Expected exports: profileId → the write numbers that must be exported. */
  readonly expected: ReadonlyMap<string, readonly number[]>;
  readonly records: readonly ReadRecord[];
  readonly deadLetters: readonly PeekedMessage[];
  readonly rejects: readonly PeekedMessage[];
  /** Whether a dead letter's failure reason is known (e.g. a `failure#` item in the state table). */
  readonly hasReason?: (message: PeekedMessage) => boolean | Promise<boolean>;
}

/** The highest write number a message carries (a reject's body holds the old and the new image). */
function latestToken(text: string): { profileId: string; k: number } | undefined {
  let best: { profileId: string; k: number } | undefined;
  for (const t of tokensIn(text)) if (best === undefined || t.k > best.k) best = t;
  return best;
}

/** Counts a scenario's outcome. */
export async function tallyScenario(input: TallyInput): Promise<Tally> {
  const delivered = new Map<string, number[]>();
  let duplicated = 0;
  const seen = new Set<string>();
  for (const record of input.records) {
    const token = latestToken(record.data);
    if (token === undefined || !input.expected.has(token.profileId)) continue;
    const key = `${token.profileId}#${token.k}`;
    if (seen.has(key)) {
      duplicated++;
      continue;
    }
    seen.add(key);
    const list = delivered.get(token.profileId) ?? [];
    list.push(token.k);
    delivered.set(token.profileId, list);
  }
  const located = (messages: readonly PeekedMessage[]) => {
    const keys = new Map<string, PeekedMessage>();
    for (const m of messages) {
      const token = latestToken(m.body);
      if (token !== undefined && input.expected.has(token.profileId))
        keys.set(`${token.profileId}#${token.k}`, m);
    }
    return keys;
  };
  const dead = located(input.deadLetters);
  const rejected = located(input.rejects);

  let expected = 0;
  let deliveredCount = 0;
  let deadCount = 0;
  let rejectedCount = 0;
  let superseded = 0;
  let lost = 0;
  let orderViolations = 0;
  let withoutReason = 0;
  const lostSample: string[] = [];
  for (const [profileId, writes] of input.expected) {
    const got = delivered.get(profileId) ?? [];
    for (let i = 1; i < got.length; i++) {
      if ((got[i] as number) <= (got[i - 1] as number)) {
        orderViolations++;
        break;
      }
    }
    const newestDelivered = got.length === 0 ? -1 : Math.max(...got);
    const deliveredSet = new Set(got);
    for (const k of writes) {
      expected++;
      const key = `${profileId}#${k}`;
      if (deliveredSet.has(k)) deliveredCount++;
      else if (dead.has(key)) {
        deadCount++;
        if (input.hasReason !== undefined && !(await input.hasReason(dead.get(key) as PeekedMessage)))
          withoutReason++;
      } else if (rejected.has(key)) {
        rejectedCount++;
        if (!/reason|error|code/i.test((rejected.get(key) as PeekedMessage).body)) withoutReason++;
      } else if (k < newestDelivered) superseded++;
      else {
        lost++;
        if (lostSample.length < 5) lostSample.push(key);
      }
    }
  }
  return {
    expected,
    delivered: deliveredCount,
    deadLettered: deadCount,
    rejected: rejectedCount,
    superseded,
    duplicated,
    lost,
    orderViolations,
    withoutReason,
    lostSample,
  };
}

/** True when the state table holds the failure record of a dead-lettered export (docs/ARCHITECTURE.md). */
export async function failureRecorded(
  dynamodb: DynamoDBClient,
  stateTable: string,
  message: PeekedMessage,
): Promise<boolean> {
  let exportId: string | undefined;
  try {
    exportId = (JSON.parse(message.body) as { exportId?: string }).exportId;
  } catch {
    return false;
  }
  if (exportId === undefined) return false;
  const item = await dynamodb.send(
    new GetItemCommand({
      TableName: stateTable,
      Key: { pk: { S: `failure#${exportId}` } },
      ConsistentRead: true,
    }),
  );
  return item.Item?.code !== undefined || Object.keys(message.attributes).some((a) => /error|code/i.test(a));
}
