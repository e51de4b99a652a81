/**
 * The two event source mappings of the local stack — the decide mapping on the profile table's
 * stream, the export mapping on the export queue — started, stopped and watched together.
 */
import type { DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { LOCAL_REGION, type LocalClients } from './clients.js';
import { DynamoDbStreamsPoller } from './event-sources/dynamodb-streams-poller.js';
import type { LambdaHandler } from './event-sources/invoke.js';
import { SqsPoller } from './event-sources/sqs-poller.js';
import type { LocalResources, LocalTimings } from './resources.js';
import type { PipelinePlan } from './stack-plan.js';
import type { RuntimeEvent } from './stack-types.js';
import { waitFor } from './wait.js';

/** What {@link LocalPipeline} runs. */
export interface LocalPipelineOptions {
  readonly plan: PipelinePlan;
  readonly clients: LocalClients;
  readonly timings: LocalTimings;
  /** The handlers as the runtime invokes them (already wrapped). */
  readonly handlers: {
    readonly decide: LambdaHandler<DynamoDBStreamEvent, unknown>;
    readonly export: LambdaHandler<SQSEvent, unknown>;
  };
  readonly onRuntimeEvent?: (event: RuntimeEvent) => void;
}

/** The decide and export mappings of one local stack. */
export class LocalPipeline {
  private readonly options: LocalPipelineOptions;
  private decide: DynamoDbStreamsPoller;
  private readonly exporter: SqsPoller;
  private streamArn: string;

  constructor(options: LocalPipelineOptions, resources: LocalResources) {
    this.options = options;
    this.streamArn = resources.profileTableStreamArn;
    this.decide = this.decidePoller(resources);
    this.exporter = new SqsPoller({
      sqsClient: options.clients.sqs,
      queueUrl: resources.exportQueueUrl,
      handler: options.handlers.export,
      functionName: 'export',
      timeoutMs: options.timings.exportTimeoutMs,
      region: LOCAL_REGION,
      onEvent: (event) => this.emit({ mapping: 'export', ...event }),
      ...options.plan.exportMapping,
    });
  }

  private emit(event: RuntimeEvent): void {
    this.options.onRuntimeEvent?.(event);
  }

  private decidePoller(resources: LocalResources): DynamoDbStreamsPoller {
    const { clients, timings, handlers, plan } = this.options;
    return new DynamoDbStreamsPoller({
      streamsClient: clients.dynamodbStreams,
      streamArn: resources.profileTableStreamArn,
      handler: handlers.decide,
      functionName: 'decide',
      timeoutMs: timings.decideTimeoutMs,
      region: LOCAL_REGION,
      onFailure: { sqsClient: clients.sqs, queueUrl: resources.decideFailuresQueueUrl },
      onEvent: (event) => this.emit({ mapping: 'decide', ...event }),
      ...plan.decideMapping,
    });
  }

  /**
   * Starts both mappings.
   * @throws the SDK's error when the export queue cannot be read.
   */
  async start(): Promise<void> {
    this.decide.start();
    await this.exporter.start();
  }

  /** Stops both mappings; resolves when no invocation is running. */
  async stop(): Promise<void> {
    await Promise.all([this.decide.stop(), this.exporter.stop()]);
  }

  /**
   * Follows the profile table's stream after the resources were created again: an in-memory
   * DynamoDB Local that restarted lost the table, and the re-created table has a new stream.
   */
  async followStream(resources: LocalResources): Promise<void> {
    if (resources.profileTableStreamArn === this.streamArn) return;
    this.streamArn = resources.profileTableStreamArn;
    await this.decide.stop();
    this.decide = this.decidePoller(resources);
    this.decide.start();
  }

  /**
   * Waits until the pipeline is quiet: the stream read to its end with nothing pending, no batch
   * running, the export queue empty (`exportQueueDepth` counts visible and in-flight messages).
   * @throws WaitTimeoutError after `timeoutMs`.
   */
  async waitForIdle(exportQueueDepth: () => Promise<number>, timeoutMs: number): Promise<void> {
    const decide = this.decide;
    const exporter = this.exporter;
    const mark = decide.pollCount();
    await waitFor(
      'local pipeline idle',
      async () => {
        if (!decide.isCaughtUp(2) || decide.pollCount() < mark + 2) return false;
        if (!exporter.isIdle()) return false;
        return (await exportQueueDepth()) === 0 && exporter.isIdle() && decide.isCaughtUp(2);
      },
      { timeoutMs, intervalMs: 50 },
    );
  }
}
