/**
 * Test factories: the one place tests build their values, in the style of Powertools'
 * `tests/helpers/factories.ts`. Each factory returns a fresh value from defaults and the overrides it
 * is given:
 *
 * - configs: {@link segment} (a catalog entry), {@link mapping}, {@link destination}, {@link config}
 *   (validated by the production parser), {@link parsedDestination}, {@link compiledConfig};
 * - profiles: {@link profile} (John Doe of the source page), {@link member}, {@link membership};
 * - DynamoDB Streams records: {@link streamRecord} (INSERT, MODIFY or REMOVE from the images given);
 * - export messages, built by the production builder ({@link exportMessage}: `buildExportMessage`, so a
 *   test never feeds a shape production no longer sends), and the export queue's records that carry
 *   them ({@link exportQueueRecord}, {@link sqsMessage}).
 */
import type { Message } from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, SQSEvent, SQSRecord } from 'aws-lambda';
import type { z } from 'zod';
import { type CompiledConfig, compileConfig } from '../../core/compiled-config.js';
import {
  type CatalogSegment,
  type configSchema,
  type Destination,
  type DestinationConfig,
  type MappedSegment,
  parseConfig,
} from '../../core/config.js';
import type { ExportDecision } from '../../core/decide.js';
import {
  buildExportMessage,
  exportMessageSchema,
  messageGroupIdFor,
  type QueuedExport,
  readExportMessage,
} from '../../core/export-message.js';
import { stringifyExact } from '../../core/json-text.js';
import type { ExportDocument } from '../../core/payload.js';
import type { SegmentStatus, StoredProfile } from '../../core/profile.js';
import type { ReasonCode } from '../../core/reasons.js';

// ─── Configs ───────────────────────────────────────────────────────────────────────────────────────

/** A config file as written (before defaults): what {@link config} validates. */
export type ConfigInput = z.input<typeof configSchema>;
/** One destination of a config file as written. */
export type DestinationInput = ConfigInput['destinations'][number];

/** Segment ids of the source page's examples (and a few more of the same merge policies). */
export const SEG = {
  john: '5b998cb9-9488-4ec3-8d95-fa8338ced490',
  delorean: 'd1e0f2a3-6f00-4c2b-9d5e-de10aea0c4a5',
  propensity: 'a7c3e9d1-4b2f-4e8a-9c6d-1f2e3d4c5b6a',
  backToTheFuture: '947c1c46-008d-40b0-92ec-3af86eaf41c1',
  docBrownFans: '5114d758-ce71-43ba-b53e-e2a91d67b67f',
  newsletterEu: 'e8f9a0b1-c2d3-4e5f-a6b7-c8d9e0f1a2b3',
} as const;

/** When the mappings of {@link mapping} were made (the source page's `mappingCreatedAt`). */
export const MAPPED_AT = 1649856570000;

/**
 * A segment of the catalog. The id defaults to {@link SEG}`.john`; the name to the id's page name, or
 * `Segment <id>` for an id that is not one of the page's.
 */
export function segment(overrides: Partial<CatalogSegment> = {}): CatalogSegment {
  const id = overrides.id ?? SEG.john;
  const known = PAGE_SEGMENTS[id];
  return {
    id,
    name: known?.name ?? `Segment ${id}`,
    mergePolicyId: known?.mergePolicyId ?? 'mp-default',
    createdAt: known?.createdAt ?? 1648553325000,
    updatedAt: known?.updatedAt ?? 1648553330000,
    ...overrides,
  };
}

const PAGE_SEGMENTS: Record<string, Omit<CatalogSegment, 'id'>> = {
  [SEG.john]: {
    name: 'First name equals John',
    mergePolicyId: 'mp-default',
    createdAt: 1648553325000,
    updatedAt: 1648553330000,
  },
  [SEG.delorean]: {
    name: 'Customers with DeLorean Cars',
    mergePolicyId: 'mp-default',
    createdAt: 1648553325000,
    updatedAt: 1648600000000,
  },
  [SEG.propensity]: {
    name: 'High propensity to convert',
    mergePolicyId: 'mp-default',
    createdAt: 1648700000000,
    updatedAt: 1648700000000,
  },
  [SEG.backToTheFuture]: {
    name: 'Watched Back to the Future',
    mergePolicyId: 'mp-default',
    createdAt: 1640000000000,
    updatedAt: 1640000000000,
  },
  [SEG.docBrownFans]: {
    name: 'Fans of Doc Brown',
    mergePolicyId: 'mp-default',
    createdAt: 1640000000000,
    updatedAt: 1641000000000,
  },
  [SEG.newsletterEu]: {
    name: 'Newsletter subscribers',
    mergePolicyId: 'mp-eu',
    createdAt: 1640000000000,
    updatedAt: 1640000000000,
  },
};

/** The catalog of the page's segments ({@link SEG}), in that order. */
export const CATALOG: readonly CatalogSegment[] = Object.values(SEG).map((id) => segment({ id }));

/** The mapped attributes of the page's example dataflow. */
export const PAGE_ATTRIBUTES = [
  'person.name.firstName',
  'person.name.lastName',
  'person.birthDate',
  'personalEmail.address',
];

/** A segment mapped to a destination, at {@link MAPPED_AT} unless `at` is given. */
export function mapping(id: string, at = MAPPED_AT): MappedSegment {
  return { id, mappingCreatedAt: at, mappingUpdatedAt: at };
}

/** Overrides of {@link destination}: any field; `segments` also as plain ids (mapped at {@link MAPPED_AT}). */
export type DestinationOverrides = Partial<Omit<DestinationInput, 'segments'>> & {
  readonly segments?: readonly (string | MappedSegment)[];
};

/**
 * A destination of the config file: the page's DeLorean dataflow (`marketing`, segments DeLorean, John
 * and propensity, {@link PAGE_ATTRIBUTES}) unless overridden. Its stream is `profile-exports` for the
 * default id and `<id>-exports` for any other, so two destinations of a local stack never share one.
 */
export function destination(overrides: DestinationOverrides = {}): DestinationInput {
  const id = overrides.id ?? 'marketing';
  const { segments = [SEG.delorean, SEG.john, SEG.propensity], ...rest } = overrides;
  return {
    id,
    name: `Amazon Kinesis – ${id}`,
    region: 'us-east-2',
    streamName: id === 'marketing' ? 'profile-exports' : `${id}-exports`,
    includeSegmentNames: false,
    includeSegmentTimestamps: false,
    attributes: PAGE_ATTRIBUTES,
    ...rest,
    segments: segments.map((s) => (typeof s === 'string' ? mapping(s) : s)),
  };
}

/**
 * A config, validated by the production parser (defaults applied): one {@link destination} unless
 * `destinations` is given. Without `segmentCatalog`, the catalog holds every mapped segment ({@link segment}
 * of its id: the page's entry, or a `Segment <id>` of merge policy `mp-default`).
 * @throws ConfigError when the overrides make an invalid config (the message names the path).
 */
export function config(overrides: Partial<ConfigInput> = {}): DestinationConfig {
  const destinations = overrides.destinations ?? [destination()];
  const mapped = [...new Set(destinations.flatMap((d) => d.segments.map((s) => s.id)))];
  return parseConfig(
    { segmentCatalog: mapped.map((id) => segment({ id })), ...overrides, destinations },
    'test config',
  );
}

/** A {@link destination} as the parser returns it (defaults applied): what the CLI's commands take. */
export function parsedDestination(overrides: DestinationOverrides = {}): Destination {
  return config({ destinations: [destination(overrides)] }).destinations[0] as Destination;
}

/** A compiled config (what the functions run with) of the given destinations, catalog {@link CATALOG}. */
export function compiledConfig(
  destinations: readonly DestinationOverrides[] = [{}],
  catalog: readonly CatalogSegment[] = CATALOG,
): CompiledConfig {
  return compileConfig(config({ destinations: destinations.map(destination), segmentCatalog: [...catalog] }));
}

// ─── Profiles ──────────────────────────────────────────────────────────────────────────────────────

/** A `segmentMembership.ups` entry. */
export function membership(status: SegmentStatus, lastQualificationTime = '2022-01-11T21:24:39Z') {
  return { status, lastQualificationTime };
}

/** A stored profile image: John Doe of the source page (`p-1`), with the given overrides. */
export function profile(overrides: Partial<StoredProfile> & Record<string, unknown> = {}): StoredProfile {
  return {
    profileId: 'p-1',
    person: { name: { firstName: 'John', lastName: 'Doe' }, birthDate: '1985-10-26', gender: 'male' },
    personalEmail: { address: 'john.doe@acme.com' },
    mobilePhone: { number: '+1-555-0100' },
    identityMap: {
      ecid: [{ id: '14575006536349286404619648085736425115' }],
      email_lc_sha256: [{ id: '655332b5fa2aea4498bf7a290cff017cb4' }],
    },
    segmentMembership: { ups: {} },
    ...overrides,
  } as StoredProfile;
}

/** {@link profile} as a member of the given segments (`{ [segmentId]: membership(...) }`). */
export function member(
  ups: Record<string, ReturnType<typeof membership>>,
  overrides: Record<string, unknown> = {},
): StoredProfile {
  return profile({ segmentMembership: { ups }, ...overrides });
}

// ─── DynamoDB Streams records ──────────────────────────────────────────────────────────────────────

let streamSequence = 0;

/** Options of {@link streamRecord}. */
export interface StreamRecordOptions {
  /** The item before the change (plain values, marshalled here); absent for an INSERT. */
  readonly oldImage?: Record<string, unknown>;
  /** The item after the change; absent for a REMOVE. */
  readonly newImage?: Record<string, unknown>;
  /** @default INSERT without an old image, REMOVE without a new one, else MODIFY */
  readonly eventName?: string;
  /** @default `event-<n>`, the next of a counter */
  readonly eventId?: string;
  /** @default the next of a counter, zero-padded (records are ordered as made) */
  readonly sequenceNumber?: string;
  /** ApproximateCreationDateTime, in epoch seconds. @default 1_700_000_000 */
  readonly createdAtSeconds?: number;
  /** Fields of `dynamodb` to set as they are (raw attribute values, or `undefined` to leave one out). */
  readonly dynamodb?: Record<string, unknown>;
}

/**
 * A DynamoDB Streams record of the profile table (`NEW_AND_OLD_IMAGES`), as Lambda hands it over: the
 * images marshalled to attribute values, the key from the images' `profileId`.
 */
export function streamRecord(options: StreamRecordOptions = {}): DynamoDBRecord {
  streamSequence++;
  const { oldImage, newImage } = options;
  const profileId = (newImage ?? oldImage)?.profileId;
  const eventName =
    options.eventName ?? (oldImage === undefined ? 'INSERT' : newImage === undefined ? 'REMOVE' : 'MODIFY');
  const image = (value: Record<string, unknown>) => marshall(value, { removeUndefinedValues: true }) as never;
  return {
    eventID: options.eventId ?? `event-${streamSequence}`,
    eventName: eventName as DynamoDBRecord['eventName'],
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/profiles/stream/2024-01-01T00:00:00.000',
    dynamodb: {
      ...(typeof profileId === 'string' && { Keys: { profileId: { S: profileId } } }),
      SequenceNumber: options.sequenceNumber ?? String(streamSequence).padStart(6, '0'),
      ApproximateCreationDateTime: options.createdAtSeconds ?? 1_700_000_000,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
      ...(oldImage !== undefined && { OldImage: image(oldImage) }),
      ...(newImage !== undefined && { NewImage: image(newImage) }),
      ...options.dynamodb,
    },
  };
}

// ─── Export messages and the export queue ──────────────────────────────────────────────────────────

let exportSequence = 0;

/** Options of {@link exportMessage}: the decision and the source of one export. */
export interface ExportMessageOptions {
  /** @default 'marketing' */
  readonly destinationId?: string;
  /** @default 'p-1' */
  readonly profileId?: string;
  /** @default 0 (a writer without the profile writer's bookkeeping) */
  readonly profileVersion?: number;
  /** @default ['mapped-attribute'] */
  readonly reasons?: readonly ReasonCode[];
  /** The export document. @default John's first name, no segment, no identity */
  readonly document?: ExportDocument;
  /** The document's exact JSON text, when it must differ from `stringifyExact(document)`. */
  readonly documentJson?: string;
  /** @default `event-<n>`, the next of a counter (so each message has its own export id) */
  readonly sourceEventId?: string;
  /** @default 1_000 */
  readonly sourceTime?: number;
  /** @default 1_000 */
  readonly queuedAt?: number;
}

/**
 * An export message and its export queue entry, built by the production builder
 * (`buildExportMessage`, the decide function's and the backfill's): its body is the one production
 * sends, its group id and deduplication id the ones the queue is given.
 */
export function exportMessage(options: ExportMessageOptions = {}): QueuedExport {
  exportSequence++;
  const document = options.document ?? {
    person: { name: { firstName: 'John' } },
    segmentMembership: { ups: {} },
    identityMap: {},
  };
  const documentJson = options.documentJson ?? stringifyExact(document);
  const decision: ExportDecision = {
    destinationId: options.destinationId ?? 'marketing',
    export: true,
    reasons: (options.reasons ?? ['mapped-attribute']).map((code) => ({ code, message: `test: ${code}` })),
    document,
    documentJson,
    documentBytes: Buffer.byteLength(documentJson, 'utf8'),
    profileVersion: options.profileVersion ?? 0,
  };
  return buildExportMessage(decision, {
    sourceEventId: options.sourceEventId ?? `event-${exportSequence}`,
    profileId: options.profileId ?? 'p-1',
    sourceTime: options.sourceTime ?? 1_000,
    queuedAt: options.queuedAt ?? 1_000,
  });
}

let queueSequence = 0;

/**
 * Options of {@link exportQueueRecord} and {@link sqsMessage}: the export the record carries — a built
 * `message`, or the fields of one ({@link ExportMessageOptions}, built by {@link exportMessage}) — and
 * the SQS record's own attributes.
 */
export interface QueueRecordOptions extends ExportMessageOptions {
  /** The export the record carries. @default exportMessage(the message fields of these options) */
  readonly message?: QueuedExport;
  /**
   * A body instead of the message's (one a function queued, or a poison one): its group and
   * deduplication id are read from it when it is an export message, else the message's are kept.
   */
  readonly body?: string;
  /** @default the group of the message the body holds (`<destinationId>:<profileId>`) */
  readonly groupId?: string;
  /** SQS's ApproximateReceiveCount: the receive this is. @default 1 */
  readonly receiveCount?: number;
  /** @default `msg-<n>`, the next of a counter */
  readonly messageId?: string;
  /** @default `rh-<n>` with the message id's number */
  readonly receiptHandle?: string;
  /** Message attributes (the dead-letter queue's failure attributes), as strings. */
  readonly messageAttributes?: Record<string, string>;
}

/**
 * A record of the FIFO export queue as the export function receives it from Lambda's SQS event source:
 * the body, `MessageGroupId`, `MessageDeduplicationId` and `ApproximateReceiveCount` attributes; `queued`
 * is the export it was built from.
 */
export function exportQueueRecord(
  options: QueueRecordOptions = {},
): SQSRecord & { readonly queued: QueuedExport } {
  queueSequence++;
  const queued = options.message ?? exportMessage(options);
  const body = options.body ?? queued.body;
  // A body given as it is: its group and deduplication id are the ones its sender gave, when it is a message.
  const parsed = options.body === undefined ? undefined : exportMessageSchema.safeParse(readBody(body));
  const sent = parsed === undefined ? queued.message : parsed.success ? parsed.data : undefined;
  return {
    queued,
    messageId: options.messageId ?? `msg-${queueSequence}`,
    receiptHandle: options.receiptHandle ?? `rh-${queueSequence}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: '1700000000000',
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: '1700000000100',
      MessageGroupId:
        options.groupId ??
        (sent === undefined ? queued.groupId : messageGroupIdFor(sent.destinationId, sent.profileId)),
      MessageDeduplicationId: sent?.exportId ?? queued.deduplicationId,
      SequenceNumber: String(queueSequence).padStart(20, '0'),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(options.messageAttributes ?? {}).map(([name, value]) => [
        name,
        { dataType: 'String', stringValue: value },
      ]),
    ),
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:kinesis-destination-export.fifo',
    awsRegion: 'us-east-1',
  };
}

/** What {@link readExportMessage} makes of a body, or `undefined` for one that is not JSON. */
function readBody(body: string): unknown {
  try {
    return readExportMessage(body);
  } catch {
    return undefined;
  }
}

/** An SQS event of the given records. */
export function sqsEvent(records: readonly SQSRecord[]): SQSEvent {
  return { Records: [...records] };
}

/**
 * A message as `ReceiveMessage` returns it (the CLI's view of a queue, e.g. the dead-letter queue):
 * body, receipt handle and the `MessageGroupId`, `SentTimestamp` and `ApproximateReceiveCount` attributes.
 */
export function sqsMessage(options: QueueRecordOptions = {}): Message {
  const record = exportQueueRecord(options);
  return {
    MessageId: record.messageId,
    ReceiptHandle: record.receiptHandle,
    Body: record.body,
    Attributes: {
      MessageGroupId: record.attributes.MessageGroupId as string,
      SentTimestamp: record.attributes.SentTimestamp,
      ApproximateReceiveCount: record.attributes.ApproximateReceiveCount,
    },
    ...(options.messageAttributes !== undefined && {
      MessageAttributes: Object.fromEntries(
        Object.entries(options.messageAttributes).map(([name, value]) => [
          name,
          { DataType: 'String', StringValue: value },
        ]),
      ),
    }),
  };
}
