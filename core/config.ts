import { z } from 'zod';
import { type ArnRuleContext, arnRuleIssues } from './arn-rules.js';
import { attributePath, awsRegion, epochMs, segmentId } from './config-fields.js';
import { ConfigError } from './errors.js';
import { formatIssuePath, formatZodIssues } from './zod-issues.js';

const mappedSegmentSchema = z.strictObject({
  id: segmentId('is required: the id of a segment in segmentCatalog'),
  mappingCreatedAt: epochMs('when the segment was mapped to this destination'),
  mappingUpdatedAt: epochMs('when this mapping was last updated'),
});

const streamCreationSchema = z.strictObject({
  /** On-demand capacity, or provisioned with `shardCount` shards. */
  mode: z.enum(['ON_DEMAND', 'PROVISIONED']).default('ON_DEMAND'),
  shardCount: z.number().int().min(1).max(500).optional(),
  retentionHours: z.number().int().min(24).max(8760).default(24),
});

const destinationSchema = z
  .strictObject({
    id: z
      .string({ error: 'is required: a short identifier such as "marketing"' })
      .regex(
        /^[a-z0-9][a-z0-9-]{0,39}$/,
        'must be 1–40 lower-case letters, digits or "-", starting with a letter or digit',
      ),
    name: z.string({ error: 'is required: a display name for the destination' }).min(1, 'must not be empty'),
    description: z.string().optional(),
    region: awsRegion,
    streamName: z
      .string({ error: 'is required: the name of the Kinesis data stream to export to' })
      .regex(
        /^[a-zA-Z0-9_.-]{1,128}$/,
        'is not a Kinesis stream name (1–128 of a-z, A-Z, 0-9, "_", ".", "-")',
      ),
    /** Account that owns the stream; defaults to the deploying account. */
    accountId: z
      .string()
      .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
      .optional(),
    includeSegmentNames: z.boolean().default(false),
    includeSegmentTimestamps: z.boolean().default(false),
    segments: z
      .array(mappedSegmentSchema)
      .min(1, 'map at least one segment: a destination exports the members of its mapped segments'),
    attributes: z.array(attributePath).default([]),
    /** Cross-account: the exporter assumes this role to write the stream. */
    roleArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'is not an IAM role ARN')
      .optional(),
    externalId: z.string().min(2).max(1224).optional(),
    /**
     * Why `roleArn` is assumed without an external id (the role's trust policy then checks none).
     * Without this reason, a `roleArn` needs an `externalId`.
     */
    noExternalIdReason: z
      .string()
      .min(10, 'must say in a sentence why the role needs no external id')
      .optional(),
    /** The source page's access-key method: a Secrets Manager secret holding {accessKeyId, secretAccessKey}. */
    credentialsSecretArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/,
        'is not a Secrets Manager secret ARN',
      )
      .optional(),
    /**
     * The customer-managed KMS key that encrypts `credentialsSecretArn`'s secret (the functions that
     * read it may kms:Decrypt with it, through Secrets Manager only). Without it: aws/secretsmanager.
     */
    credentialsSecretKmsKeyArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/, 'is not a KMS key ARN')
      .optional(),
    /** Customer-managed KMS key that encrypts the stream. */
    kmsKeyArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/, 'is not a KMS key ARN')
      .optional(),
    /** Create the stream in the stack instead of importing an existing one. */
    createStream: streamCreationSchema.optional(),
  })
  .superRefine((d, ctx) => {
    if (d.roleArn !== undefined && d.credentialsSecretArn !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['credentialsSecretArn'],
        message: 'use either roleArn or credentialsSecretArn, not both',
      });
    }
    if (d.roleArn !== undefined && d.externalId === undefined && d.noExternalIdReason === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['externalId'],
        message: `is required with roleArn: the role's trust policy should require it (sts:ExternalId), so that nobody else can make this pipeline write with that role (the confused-deputy problem). Add "externalId": "<the value the trust policy checks>" (\`npx kinesis-destination policy --destination ${d.id} --trust-policy\` prints that policy), or, if the role must be trusted without one, say why in "noExternalIdReason"`,
      });
    }
    if (d.noExternalIdReason !== undefined && (d.roleArn === undefined || d.externalId !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['noExternalIdReason'],
        message:
          d.roleArn === undefined
            ? 'is only used with roleArn; remove it'
            : 'the destination has an externalId; remove noExternalIdReason',
      });
    }
    if (d.externalId !== undefined && d.roleArn === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['externalId'],
        message: 'externalId is only used with roleArn; add the role ARN or remove externalId',
      });
    }
    if (d.credentialsSecretKmsKeyArn !== undefined && d.credentialsSecretArn === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['credentialsSecretKmsKeyArn'],
        message: "is the key of credentialsSecretArn's secret: set credentialsSecretArn, or remove it",
      });
    }
    if (d.createStream !== undefined && (d.roleArn !== undefined || d.credentialsSecretArn !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['createStream'],
        message:
          'a stream in another account cannot be created by this stack; remove createStream or the cross-account settings',
      });
    }
    if (d.createStream?.mode === 'PROVISIONED' && d.createStream.shardCount === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['createStream', 'shardCount'],
        message: 'is required when mode is "PROVISIONED"',
      });
    }
    reportDuplicates(
      d.segments.map((s) => s.id),
      ['segments'],
      'segment',
      ctx,
    );
    reportDuplicates(d.attributes, ['attributes'], 'attribute', ctx);
  });

const catalogEntrySchema = z.strictObject({
  id: segmentId('is required: the segment id'),
  name: z.string({ error: 'is required: the segment name' }),
  mergePolicyId: z
    .string({ error: 'is required: the id of the merge policy the segment is evaluated with' })
    .min(1),
  createdAt: epochMs('when the segment was created'),
  updatedAt: epochMs('when the segment was last updated'),
});

const profileTableSchema = z.strictObject({
  /** Name of the table to create, or of the existing table with `streamArn`. */
  tableName: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'is not a DynamoDB table name')
    .optional(),
  /** Import an existing table: its stream ARN (NEW_AND_OLD_IMAGES). */
  streamArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/.+\/stream\/.+$/,
      'is not a DynamoDB stream ARN',
    )
    .optional(),
  /**
   * The customer-managed KMS key of an existing table (with `streamArn`): decide reads its stream and
   * the backfill scans it, so both get kms:Decrypt on this key.
   */
  kmsKeyArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/, 'is not a KMS key ARN')
    .optional(),
});

/** What the pipeline is sized for (core/throughput-settings.ts derives the mappings' settings from it). */
const throughputSchema = z.strictObject({
  /** Expected peak of profile writes per second to the profile table. @default 200 (PIPELINE_SETTINGS.throughput) */
  peakWritesPerSecond: z
    .number({ error: 'must be a number of profile writes per second, e.g. 10000' })
    .positive('must be above 0')
    .max(1_000_000, 'must be at most 1,000,000 writes per second')
    .optional(),
  /** Typical export document size in bytes (sizes Kinesis shards). @default 6,000 */
  documentBytes: z
    .number({ error: 'must be a number of bytes, e.g. 6000' })
    .int('must be a whole number of bytes')
    .min(1, 'must be at least 1')
    .max(1_048_576, 'must be at most 1 MiB, the largest Kinesis record')
    .optional(),
});

/**
 * What deleting the stack (or replacing a resource) does to the resources that hold undelivered
 * exports and delivery state — the queues, the state table and the streams the stack creates:
 * `retain` (the default) keeps them; `destroy` deletes them with their contents, for test stacks.
 */
const dataRemovalPolicySchema = z.enum(['retain', 'destroy'], {
  error:
    'must be "retain" (keep queues, state table and created streams when the stack is deleted) or "destroy" (delete them: test stacks only)',
});

/**
 * Where the functions that reach the destination streams run from. `staticEgressIps`: the export
 * function and the connection check run in a VPC whose NAT gateways hold one Elastic IP per
 * availability zone, listed in the stack output `StaticEgressIps` for the customer's allowlist
 * (`aws:SourceIp`). `kinesisEndpoint`: also an interface VPC endpoint for Kinesis Data Streams in the
 * stack's region, for customers who allowlist `aws:SourceVpce` instead (through it, `aws:SourceIp`
 * is absent). docs/DEPLOY.md, "Static egress IPs".
 */
const networkSchema = z
  .strictObject({
    staticEgressIps: z.boolean().default(false),
    kinesisEndpoint: z.boolean().default(false),
    /**
     * Elastic IPs you allocated (`eipalloc-…`), one per availability zone (two), for the NAT
     * gateways instead of new ones: addresses that outlive the stack, e.g. those a deleted stack
     * kept (its Elastic IPs are retained), so a redeploy keeps the customer's allowlist.
     */
    elasticIpAllocationIds: z
      .array(z.string().regex(/^eipalloc-[0-9a-f]{8,17}$/, 'is not an Elastic IP allocation id (eipalloc-…)'))
      .length(2, 'must name two allocation ids, one per availability zone')
      .optional(),
  })
  .superRefine((n, ctx) => {
    if (n.elasticIpAllocationIds !== undefined && !n.staticEgressIps) {
      ctx.addIssue({
        code: 'custom',
        path: ['elasticIpAllocationIds'],
        message: 'needs "staticEgressIps": true: the addresses are given to the NAT gateways of that network',
      });
    }
    if (n.kinesisEndpoint && !n.staticEgressIps) {
      ctx.addIssue({
        code: 'custom',
        path: ['kinesisEndpoint'],
        message: 'needs "staticEgressIps": true: the endpoint is placed in the VPC that option creates',
      });
    }
  });

/** The destination config file: one JSON document read by the CLI, the CDK app and the local stack. */
export const configSchema = z
  .strictObject({
    $schema: z.string().optional(),
    destinations: z
      .array(destinationSchema, { error: 'is required: a list of destinations' })
      .min(1, 'configure at least one destination'),
    segmentCatalog: z.array(catalogEntrySchema, {
      error: 'is required: the segments that destinations map, with their merge policy',
    }),
    profileTable: profileTableSchema.optional(),
    alerts: z.strictObject({ emails: z.array(z.email('is not an e-mail address')).default([]) }).optional(),
    throughput: throughputSchema.optional(),
    dataRemovalPolicy: dataRemovalPolicySchema.optional(),
    network: networkSchema.optional(),
    /**
     * Roles of the operators who redrive dead letters (`dlq redrive`) or run a backfill from the CLI:
     * the export queue's policy denies `sqs:SendMessage` to every other principal but the pipeline's
     * own roles. Their permissions stay yours to grant (docs/RUNBOOK.md, "What the operator's
     * credentials need").
     */
    operatorRoleArns: z
      .array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'is not an IAM role ARN'))
      .optional(),
  })
  .superRefine((config, ctx) => {
    reportDuplicates(
      config.destinations.map((d) => d.id),
      ['destinations'],
      'destination id',
      ctx,
      'id',
    );
    reportDuplicates(
      config.segmentCatalog.map((s) => s.id),
      ['segmentCatalog'],
      'segment id',
      ctx,
      'id',
    );
    const catalogIds = new Set(config.segmentCatalog.map((s) => s.id));
    config.destinations.forEach((d, di) => {
      d.segments.forEach((s, si) => {
        if (!catalogIds.has(s.id)) {
          ctx.addIssue({
            code: 'custom',
            path: ['destinations', di, 'segments', si, 'id'],
            message: `segment "${s.id}" is not in segmentCatalog: add it there with its name and mergePolicyId`,
          });
        }
      });
    });
    if (config.profileTable?.kmsKeyArn !== undefined && config.profileTable.streamArn === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['profileTable', 'kmsKeyArn'],
        message:
          'is the key of an existing table: set streamArn (and tableName) to import it; the table this stack creates uses the AWS managed key aws/dynamodb',
      });
    }
    if (config.profileTable?.streamArn !== undefined && config.profileTable.tableName === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['profileTable', 'tableName'],
        message: 'is required with streamArn: the name of the existing table',
      });
    }
  });

function reportDuplicates(
  values: readonly string[],
  path: (string | number)[],
  what: string,
  ctx: z.RefinementCtx,
  field?: string,
): void {
  const seen = new Map<string, number>();
  values.forEach((value, i) => {
    const first = seen.get(value);
    if (first === undefined) {
      seen.set(value, i);
      return;
    }
    ctx.addIssue({
      code: 'custom',
      path: field === undefined ? [...path, i] : [...path, i, field],
      message: `duplicate ${what} "${value}" (first at index ${first}); remove one`,
    });
  });
}

export type DestinationConfig = z.output<typeof configSchema>;
export type Destination = DestinationConfig['destinations'][number];
export type CatalogSegment = DestinationConfig['segmentCatalog'][number];
export type MappedSegment = Destination['segments'][number];

/**
 * Validates a parsed config document: its schema, then the rules over its ARNs and regions
 * (core/arn-rules.ts: one partition across every ARN and destination region — and the deploying
 * stack's, when `context.partition` is given — and each stream's key in the stream's region).
 * @param label prefixes messages, e.g. the file name.
 * @param context where the config is deployed, when known (the construct passes the stack's partition).
 * @throws ConfigError with one `path: problem and fix` line per issue.
 */
export function parseConfig(input: unknown, label?: string, context?: ArnRuleContext): DestinationConfig {
  const result = configSchema.safeParse(input);
  const issues = result.success
    ? arnRuleIssues(result.data, context).map((i) => `${formatIssuePath(i.path)}: ${i.message}`)
    : formatZodIssues(result.error);
  if (!result.success || issues.length > 0) {
    throw new ConfigError(label === undefined ? issues : issues.map((i) => `${label}: ${i}`));
  }
  return result.data;
}
