/**
 * The public shapes of the local stack: what {@link startLocalStack} takes and what it returns. Kept
 * apart from the orchestration so the plan, the steps and the stack read the same types without a
 * cycle.
 */
import type { DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import type { DestinationRecord } from '../adapters/kinesis-reader.js';
import type { DestinationConfig } from '../core/config.js';
import type { LocalClients } from './clients.js';
import type { StreamsPollerEvent } from './event-sources/dynamodb-streams-poller.js';
import type { LambdaHandler } from './event-sources/invoke.js';
import type { SqsPollerEvent } from './event-sources/sqs-poller.js';
import type { MetricsStore } from './metrics-store.js';
import type { LocalResourceNames, LocalResources, LocalTimings } from './resources.js';

/** A handler wrapper: receives the real (or injected) handler, returns the one the runtime invokes. */
export type HandlerWrapper<E> = (handler: LambdaHandler<E, unknown>) => LambdaHandler<E, unknown>;

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /** A config file path or an already parsed config. @default EXAMPLE_CONFIG_PATH */
  readonly config?: string | DestinationConfig;
  /** Ports; 0 or undefined = a free loopback port (tests run in parallel). */
  readonly ports?: { readonly dynamodb?: number; readonly kinesis?: number; readonly sqs?: number };
  /** Flag names for the "port in use" error. @default --dynamodb-port, --kinesis-port, --sqs-port */
  readonly portFlags?: { readonly dynamodb?: string; readonly kinesis?: string; readonly sqs?: string };
  /**
   * The Kinesis endpoint the functions use instead of the emulator's, e.g. a fault-injecting
   * proxy. A function receives the emulator's endpoint and may start the proxy in front of it.
   * @default - the emulator
   */
  readonly functionKinesisEndpoint?: string | ((emulatorEndpoint: string) => string | Promise<string>);
  /** Handlers used instead of importing `lambdas/<name>/handler.ts`. */
  readonly handlers?: {
    readonly decide?: LambdaHandler<DynamoDBStreamEvent, unknown>;
    readonly export?: LambdaHandler<SQSEvent, unknown>;
  };
  /** Wrappers around the handlers (inject failures, observe invocations). */
  readonly wrapHandlers?: {
    readonly decide?: HandlerWrapper<DynamoDBStreamEvent>;
    readonly export?: HandlerWrapper<SQSEvent>;
  };
  /** Run the event source mappings. @default true */
  readonly runPipeline?: boolean;
  /** Factor for Lambda and visibility timeouts. @default PIPELINE_SETTINGS.localTimeScale */
  readonly timeScale?: number;
  /** Overrides of the scaled timings (e.g. a short visibility timeout for retry tests). */
  readonly timings?: Partial<LocalTimings>;
  /** Overrides of the decide mapping (tests shorten the batching window). */
  readonly decideMapping?: {
    readonly batchSize?: number;
    readonly maxBatchingWindowMs?: number;
    readonly pollIntervalMs?: number;
    readonly retryAttempts?: number;
    readonly maxRecordAgeMs?: number;
  };
  /** Overrides of the export mapping. */
  readonly exportMapping?: {
    readonly batchSize?: number;
    readonly concurrency?: number;
    readonly pollIntervalMs?: number;
  };
  /** Extra environment for the functions (e.g. `POWERTOOLS_LOG_LEVEL`). */
  readonly functionEnv?: Readonly<Record<string, string>>;
  /** Keep DynamoDB Local's data on disk, so `restartDynamoDb()` keeps the tables and the stream. @default false */
  readonly persistDynamoDb?: boolean;
  /**
   * A DynamoDB Local that is already running and serves other stacks too (the e2e tests share one JVM):
   * this stack starts no JVM of its own, names its two tables `<tablePrefix>-<name>`, and deletes them
   * when it stops. `restartDynamoDb()`, `persistDynamoDb` and `ports.dynamodb` need the stack's own.
   * @default - the stack starts its own DynamoDB Local
   */
  readonly sharedDynamoDb?: { readonly endpoint: string; readonly tablePrefix: string };
  /** Progress lines while starting ("DynamoDB Local ready on …"). */
  readonly onProgress?: (message: string) => void;
  /** Every runtime event of both mappings (invocations, discards, transient errors). */
  readonly onRuntimeEvent?: (event: RuntimeEvent) => void;
}

/** An event of the local runtime, tagged with its mapping. */
export type RuntimeEvent =
  | ({ readonly mapping: 'decide' } & StreamsPollerEvent)
  | ({ readonly mapping: 'export' } & SqsPollerEvent);

/** The queues of the local stack, by short name. */
export type LocalQueueName = 'export' | 'dlq' | 'rejects' | 'decideFailures';

/** The endpoints of the three emulators. */
export interface LocalEndpoints {
  readonly dynamodb: string;
  readonly kinesis: string;
  readonly sqs: string;
}

/** A running local stack. */
export interface LocalStack {
  /**
   * The environment of the functions plus the CLI variables (`DLQ_URL`, `KD_CONFIG` when the config
   * came from a file): what `local up` prints.
   */
  readonly env: Readonly<Record<string, string>>;
  readonly endpoints: LocalEndpoints;
  /** The Kinesis endpoint the functions use (the emulator's, or the override). */
  readonly functionKinesisEndpoint: string;
  readonly ports: { readonly dynamodb: number; readonly kinesis: number; readonly sqs: number };
  readonly config: DestinationConfig;
  /** The config file, when the config came from one. */
  readonly configPath: string | undefined;
  readonly resources: LocalResources;
  /** The names its resources were created with (the two tables prefixed on a shared DynamoDB Local). */
  readonly resourceNames: LocalResourceNames;
  readonly timings: LocalTimings;
  /** Clients aimed straight at the emulators (never through the Kinesis override). */
  readonly clients: LocalClients;
  /** The handlers' metrics (EMF), collected instead of printed: the local funnel reads them. */
  readonly metrics: MetricsStore;
  /** The destination stream's records, from its start. */
  readRecords(destinationId: string): Promise<DestinationRecord[]>;
  /**
   * Waits until the pipeline is quiet: the stream read to its end with nothing pending, no batch
   * running, the export queue empty (nothing visible or in flight).
   * @throws WaitTimeoutError after `timeoutMs` (default 30 s).
   */
  waitForIdle(options?: { timeoutMs?: number }): Promise<void>;
  /** Messages in a queue (visible + in flight), e.g. `stack.queueDepth('dlq')`. */
  queueDepth(queue: LocalQueueName): Promise<number>;
  /** Stops the mappings, the emulators and the JVM; restores the environment. Idempotent. */
  stop(): Promise<void>;
  /** SQS outage: the listener goes away for `downtimeMs`, queues and messages are kept. */
  restartSqs(options?: { downtimeMs?: number }): Promise<void>;
  /** Kinesis outage: the listener goes away for `downtimeMs`, streams and records are kept. */
  restartKinesis(options?: { downtimeMs?: number }): Promise<void>;
  /**
   * Restarts DynamoDB Local on the same port. With `persistDynamoDb` the tables, items and stream
   * survive; without, they are re-created empty and the decide mapping follows the new stream.
   */
  restartDynamoDb(options?: { downtimeMs?: number }): Promise<void>;
}
