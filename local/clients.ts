/**
 * SDK clients aimed at the local emulators, for the stack's own work (resource creation, pollers,
 * tail, test assertions). The functions build their own clients from the standard
 * `AWS_ENDPOINT_URL_<SERVICE>` environment the stack sets.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Region the local stack reports; the emulators accept any. */
export const LOCAL_REGION = 'us-east-1';

/** Dummy credentials: the emulators accept any, and nothing is looked up on the machine. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** Options of the client factories. */
export interface LocalClientOptions {
  /** @default LOCAL_REGION */
  readonly region?: string;
  /** @default 3 (the SDK default) */
  readonly maxAttempts?: number;
  /** Per-request socket timeout. @default 10_000 */
  readonly requestTimeoutMs?: number;
}

function common(endpoint: string, options: LocalClientOptions) {
  return {
    endpoint,
    region: options.region ?? LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: options.maxAttempts ?? 3,
    // HTTP/1.1: the emulators do not speak HTTP/2 (client-kinesis defaults to it).
    requestHandler: new NodeHttpHandler({
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      connectionTimeout: 2_000,
    }),
  };
}

/** A DynamoDB client for DynamoDB Local at `endpoint`. */
export function createDynamoDbClient(endpoint: string, options: LocalClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient(common(endpoint, options));
}

/** A DynamoDB Streams client for DynamoDB Local at `endpoint` (same port as DynamoDB). */
export function createDynamoDbStreamsClient(
  endpoint: string,
  options: LocalClientOptions = {},
): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient(common(endpoint, options));
}

/** A Kinesis client for kinesalite at `endpoint`. */
export function createKinesisClient(endpoint: string, options: LocalClientOptions = {}): KinesisClient {
  return new KinesisClient(common(endpoint, options));
}

/** An SQS client for local-aws-sqs at `endpoint`. */
export function createSqsClient(endpoint: string, options: LocalClientOptions = {}): SQSClient {
  return new SQSClient(common(endpoint, options));
}

/** The clients of one local stack. */
export interface LocalClients {
  readonly dynamodb: DynamoDBClient;
  readonly dynamodbStreams: DynamoDBStreamsClient;
  readonly kinesis: KinesisClient;
  readonly sqs: SQSClient;
}

/** Creates one client per emulator. */
export function createLocalClients(
  endpoints: { readonly dynamodb: string; readonly kinesis: string; readonly sqs: string },
  options: LocalClientOptions = {},
): LocalClients {
  return {
    dynamodb: createDynamoDbClient(endpoints.dynamodb, options),
    dynamodbStreams: createDynamoDbStreamsClient(endpoints.dynamodb, options),
    kinesis: createKinesisClient(endpoints.kinesis, options),
    sqs: createSqsClient(endpoints.sqs, options),
  };
}

/** Closes the clients' sockets. */
export function destroyLocalClients(clients: LocalClients): void {
  clients.dynamodb.destroy();
  clients.dynamodbStreams.destroy();
  clients.kinesis.destroy();
  clients.sqs.destroy();
}
