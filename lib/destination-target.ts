import type { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/**
 * Where a destination's records go and how the pipeline gets the right to write them: a class with
 * one static factory per kind, as `aws-events-targets` and `lambda.Code` are.
 *
 * ```ts
 * DestinationTarget.stream(stream)                                      // written with the export role
 * DestinationTarget.streamNamed('profile-exports', { region: 'us-east-2' })
 * DestinationTarget.crossAccountStream({ stream, role, externalId })    // the export role assumes `role`
 * DestinationTarget.accessKey({ stream, secret, secretKey })            // the source page's access key
 * DestinationTarget.createStream({ streamName: 'profile-exports' })    // the construct creates it
 * ```
 *
 * Resources are CDK objects (`IStream`, `IRole`, `ISecret`, `IKey`), never ARN strings: a resource of
 * the same app (a token) reaches the functions through their environment, a literal one through the
 * config layer.
 */

/** Where an existing stream is: the stream itself, or its name (with its region and account). */
export interface ExistingStreamOptions {
  /**
   * The stream, e.g. `kinesis.Stream.fromStreamArn(this, 'Partner', arn)` or a stream of your app.
   * Give either `stream` or `streamName`.
   * @default - the stream named `streamName`
   */
  readonly stream?: kinesis.IStream;
  /**
   * The stream's name, for a stream you know by name (the source page's form). Give either `stream`
   * or `streamName`.
   * @default - `stream`'s
   */
  readonly streamName?: string;
  /**
   * The stream's region, with `streamName`.
   * @default - the stack's region
   */
  readonly region?: string;
  /**
   * The stream's account, with `streamName` (another account's stream written through its resource
   * policy, or through `role` / the access key).
   * @default - the deploying account
   */
  readonly account?: string;
  /**
   * The customer-managed key that encrypts the stream: the writer gets `kms:GenerateDataKey` on it,
   * through Kinesis only (`kms:ViaService`).
   * @default - `stream.encryptionKey`, else none (a stream under aws/kinesis or unencrypted needs no grant)
   */
  readonly encryptionKey?: kms.IKey;
}

/** Options of {@link DestinationTarget.crossAccountStream}. */
export interface CrossAccountStreamOptions extends ExistingStreamOptions {
  /**
   * The role in the stream's account that may write the stream; the export role (and the
   * connection check's) assume it. Its trust policy names them (`npx kinesis-destination policy
   * --trust-policy`), e.g. `iam.Role.fromRoleArn(this, 'Writer', arn)`.
   */
  readonly role: iam.IRole;
  /**
   * The external id the role's trust policy requires (`sts:ExternalId`): without one, anyone who can
   * name the role to this pipeline can make it write (the confused-deputy problem).
   * @default - none: then `noExternalIdReason` is required
   */
  readonly externalId?: string;
  /**
   * Why the role is assumed without an external id, in a sentence (with no `externalId` only).
   * @default - none: then `externalId` is required
   */
  readonly noExternalIdReason?: string;
}

/** Options of {@link DestinationTarget.accessKey}. */
export interface AccessKeyOptions extends ExistingStreamOptions {
  /**
   * The secret holding the access key the source page asks for, as JSON
   * `{"accessKeyId": "…", "secretAccessKey": "…"}`: the export function and the connection check
   * read it (`secretsmanager:GetSecretValue` on it alone).
   */
  readonly secret: secretsmanager.ISecret;
  /**
   * The customer-managed key that encrypts the secret: the readers get `kms:Decrypt` on it, through
   * Secrets Manager only (`kms:ViaService`).
   * @default - `secret.encryptionKey`, else none (aws/secretsmanager needs no grant)
   */
  readonly secretKey?: kms.IKey;
}

/** Capacity of a stream the construct creates. */
export enum CreatedStreamMode {
  /** On-demand capacity: no shards to plan. */
  ON_DEMAND = 'ON_DEMAND',
  /** `shardCount` shards. */
  PROVISIONED = 'PROVISIONED',
}

/** Options of {@link DestinationTarget.createStream}. */
export interface CreatedStreamOptions {
  /** The stream's name (fixed: partners and `validate` name it). */
  readonly streamName: string;
  /** @default CreatedStreamMode.ON_DEMAND */
  readonly mode?: CreatedStreamMode;
  /**
   * Shards of a provisioned stream (required with `PROVISIONED`).
   * @default - none (on demand)
   */
  readonly shardCount?: number;
  /**
   * How long the stream keeps records: 24 hours to 365 days.
   * @default Duration.hours(24)
   */
  readonly retention?: Duration;
  /**
   * The stream's region. The stream is created in the stack's region; set it (to that region) when
   * the stack is environment-agnostic, and a deploy to another region is refused.
   * @default - the stack's region
   */
  readonly region?: string;
  /**
   * A customer-managed key to encrypt the stream with.
   * @default - the AWS managed key aws/kinesis (producers need no key grant)
   */
  readonly encryptionKey?: kms.IKey;
}

/** The kinds of {@link DestinationTarget}. */
export type DestinationTargetKind = 'stream' | 'crossAccountStream' | 'accessKey' | 'createStream';

/** A destination's target: build one with the static factories. */
export class DestinationTarget {
  /**
   * A stream the export role writes itself: in this account, or in another one whose stream policy
   * lets the export role write (`kinesis:PutRecord(s)` on exactly this stream).
   */
  static stream(
    stream: kinesis.IStream,
    options: { readonly encryptionKey?: kms.IKey } = {},
  ): DestinationTarget {
    return new DestinationTarget('stream', { ...options, stream });
  }

  /** A stream written by the export role, by name (the source page's "stream name and region"). */
  static streamNamed(
    streamName: string,
    options: Omit<ExistingStreamOptions, 'stream' | 'streamName'> = {},
  ): DestinationTarget {
    return new DestinationTarget('stream', { ...options, streamName });
  }

  /** A stream in another account, written by assuming `role` there (with `externalId`). */
  static crossAccountStream(options: CrossAccountStreamOptions): DestinationTarget {
    return new DestinationTarget('crossAccountStream', options);
  }

  /** A stream written with the access key held in `secret` (the source page's access-key method). */
  static accessKey(options: AccessKeyOptions): DestinationTarget {
    return new DestinationTarget('accessKey', options);
  }

  /** A stream the construct creates (and owns, with its `dataRemovalPolicy`). */
  static createStream(options: CreatedStreamOptions): DestinationTarget {
    return new DestinationTarget('createStream', options);
  }

  /** What this target is; the options below hold the rest. */
  readonly kind: DestinationTargetKind;
  /** The stream to write (every kind but `createStream`). */
  readonly existing?: ExistingStreamOptions;
  /** The role to assume (`crossAccountStream`). */
  readonly crossAccount?: CrossAccountStreamOptions;
  /** The access key's secret (`accessKey`). */
  readonly accessKeySecret?: AccessKeyOptions;
  /** The stream to create (`createStream`). */
  readonly created?: CreatedStreamOptions;

  private constructor(kind: DestinationTargetKind, options: ExistingStreamOptions | CreatedStreamOptions) {
    this.kind = kind;
    if (kind === 'createStream') {
      this.created = options as CreatedStreamOptions;
      return;
    }
    this.existing = options as ExistingStreamOptions;
    if (kind === 'crossAccountStream') this.crossAccount = options as CrossAccountStreamOptions;
    if (kind === 'accessKey') this.accessKeySecret = options as AccessKeyOptions;
  }
}
