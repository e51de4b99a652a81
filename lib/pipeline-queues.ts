import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PIPELINE_SETTINGS } from '../core/pipeline-settings.js';
import type { SinkQueue } from './pipeline-alerts.js';
import { seconds } from './pipeline-function.js';

export interface PipelineQueuesProps {
  /** Encrypts every queue: the messages carry export documents, i.e. personal data. */
  readonly key: kms.IKey;
  /** Every queue's: each holds undelivered exports or records a human must see. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The pipeline's queues (docs/ARCHITECTURE.md, "Flow"):
 * - `exportQueue`: FIFO, one message group per destination and profile, high-throughput mode;
 * - `deadLetterQueue`: the export queue's FIFO DLQ, after `maxReceiveCount` receives;
 * - `rejectsQueue`: poison stream records and oversize payloads from the decide function;
 * - `decideFailuresQueue`: the decide mapping's on-failure destination (batches that ran out of retries);
 * - `backfillFailuresQueue`: backfill invocations that failed all asynchronous retries.
 * All are encrypted with the pipeline key, refuse requests without TLS, and have the construct's
 * data removal policy (kept when the stack is deleted, by default).
 */
export class PipelineQueues extends Construct {
  readonly exportQueue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly rejectsQueue: sqs.Queue;
  readonly decideFailuresQueue: sqs.Queue;
  readonly backfillFailuresQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: PipelineQueuesProps) {
    super(scope, id);
    const encrypted = {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
    } as const;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      ...encrypted,
      fifo: true,
      retentionPeriod: seconds(PIPELINE_SETTINGS.deadLetterQueue.retentionSeconds),
    });

    this.exportQueue = new sqs.Queue(this, 'ExportQueue', {
      ...encrypted,
      fifo: true,
      // The decide function and the backfill set MessageDeduplicationId = exportId themselves.
      contentBasedDeduplication: false,
      // High-throughput FIFO: deduplication and throughput limits apply per message group.
      deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      visibilityTimeout: seconds(PIPELINE_SETTINGS.exportQueue.visibilityTimeoutSeconds),
      retentionPeriod: seconds(PIPELINE_SETTINGS.exportQueue.retentionSeconds),
      deadLetterQueue: {
        queue: this.deadLetterQueue,
        maxReceiveCount: PIPELINE_SETTINGS.exportQueue.maxReceiveCount,
      },
    });

    this.rejectsQueue = new sqs.Queue(this, 'RejectsQueue', {
      ...encrypted,
      retentionPeriod: seconds(PIPELINE_SETTINGS.rejectsQueue.retentionSeconds),
    });

    this.decideFailuresQueue = new sqs.Queue(this, 'DecideFailuresQueue', {
      ...encrypted,
      retentionPeriod: seconds(PIPELINE_SETTINGS.deadLetterQueue.retentionSeconds),
    });

    this.backfillFailuresQueue = new sqs.Queue(this, 'BackfillFailuresQueue', {
      ...encrypted,
      retentionPeriod: seconds(PIPELINE_SETTINGS.deadLetterQueue.retentionSeconds),
    });
  }

  /** The queues that are terminal sinks: anything in them needs a human before it expires. */
  get sinks(): readonly SinkQueue[] {
    const { deadLetterQueue, rejectsQueue } = PIPELINE_SETTINGS;
    return [
      { name: 'DeadLetterQueue', queue: this.deadLetterQueue, ...deadLetterQueue },
      { name: 'RejectsQueue', queue: this.rejectsQueue, ...rejectsQueue },
      { name: 'DecideFailuresQueue', queue: this.decideFailuresQueue, ...deadLetterQueue },
      { name: 'BackfillFailuresQueue', queue: this.backfillFailuresQueue, ...deadLetterQueue },
    ];
  }
}
