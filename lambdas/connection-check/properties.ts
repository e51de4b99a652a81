import { z } from 'zod';

/**
 * The properties the stack gives the deploy-time checks (lib/connection-check.ts), one schema per
 * custom resource type. Validated on every event: a malformed property fails the deployment with
 * zod's path, never silently.
 */

/** The connection check of the destinations whose streams the stack imports. */
export const CONNECTION_CHECK_TYPE = 'Custom::KinesisConnectionCheck';
/** The check that a stream the stack is about to create is not someone else's already. */
export const STREAM_NAME_CHECK_TYPE = 'Custom::KinesisStreamNameCheck';

/** One destination to check; the stack passes these as the resource's `Destinations` property. */
export const checkedDestinationSchema = z.object({
  destinationId: z.string().min(1),
  region: z.string().min(1),
  streamName: z.string().min(1),
  /** The stream's ARN (partition, region, account resolved by CloudFormation). */
  streamArn: z.string().min(1).optional(),
  accountId: z.string().optional(),
  roleArn: z.string().optional(),
  externalId: z.string().optional(),
  credentialsSecretArn: z.string().optional(),
  /** The stream's customer-managed key: the export role needs kms:GenerateDataKey on it. */
  kmsKeyArn: z.string().optional(),
});

/** A destination of the connection check. */
export type CheckedDestination = z.infer<typeof checkedDestinationSchema>;

/** The connection check's properties. */
export const connectionCheckPropertiesSchema = z.object({
  /** The role the export function writes with: its effective permissions are simulated. */
  ExportRoleArn: z.string().min(1),
  Destinations: z.array(checkedDestinationSchema),
});

/** A stream the stack creates. */
export const createdStreamSchema = z.object({
  destinationId: z.string().min(1),
  region: z.string().min(1),
  streamName: z.string().min(1),
  /** The stream's logical id in the stack: a stream the stack already owns is not a conflict. */
  logicalId: z.string().min(1),
});

/** A stream of the stream-name check. */
export type CreatedStream = z.infer<typeof createdStreamSchema>;

/** The stream-name check's properties. */
export const streamNameCheckPropertiesSchema = z.object({ Streams: z.array(createdStreamSchema) });
