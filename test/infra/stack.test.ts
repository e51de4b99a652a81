import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';
import { ALARM_THRESHOLDS } from '../../lib/pipeline-alerts.js';
import { pipelineRuntime } from '../../lib/pipeline-function.js';
import { actionsOf, exampleConfig, importedStreamArn, statementsOf, statementsWith, synth } from './synth.js';

let template: Template;

beforeAll(() => {
  template = synth(exampleConfig()).template;
});

const getAtt = (prefix: string, attribute = 'Arn') => ({
  'Fn::GetAtt': [Match.stringLikeRegexp(`^${prefix}`), attribute],
});

describe('KinesisDestinationStack (example config)', () => {
  describe('export role', () => {
    it('holds exactly the three Kinesis actions, Put only on the destination stream ARNs', () => {
      const kinesis = statementsWith(template, 'ExportRole', 'kinesis:');
      expect(kinesis).toEqual([
        { Sid: 'ListStreams', Effect: 'Allow', Action: 'kinesis:ListStreams', Resource: '*' },
        {
          Sid: 'PutToDestinationStreams',
          Effect: 'Allow',
          Action: ['kinesis:PutRecord', 'kinesis:PutRecords'],
          // Sorted by the minimizePolicies feature flag.
          Resource: [
            importedStreamArn('us-east-2', 'profile-analytics'),
            importedStreamArn('us-east-2', 'profile-exports'),
          ],
        },
      ]);
    });

    it('has no kms:GenerateDataKey for a stream when no stream has a key (only for the dead-letter queue)', () => {
      expect(statementsWith(template, 'ExportRole', 'kms:GenerateDataKey').map((s) => s.Sid)).toEqual([
        'MoveToDeadLetterQueueEncrypted',
      ]);
    });

    it('holds nothing beyond logs, tracing, the queue it consumes, the dead-letter queue, the state table and the streams', () => {
      expect(actionsOf(template, 'ExportRole')).toEqual(
        [
          'dynamodb:BatchGetItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'kinesis:ListStreams',
          'kinesis:PutRecord',
          'kinesis:PutRecords',
          'kms:Decrypt',
          'kms:Decrypt',
          'kms:GenerateDataKey',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:ReceiveMessage',
          'sqs:SendMessage',
          'xray:PutTelemetryRecords',
          'xray:PutTraceSegments',
        ].sort(),
      );
      // It sends only to the dead-letter queue: a message that failed its last attempt, with its failure.
      expect(statementsWith(template, 'ExportRole', 'sqs:SendMessage')).toEqual([
        expect.objectContaining({
          Sid: 'MoveToDeadLetterQueue',
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^QueuesDeadLetterQueue/), 'Arn'] },
        }),
      ]);
      expect(statementsWith(template, 'ExportRole', 'dynamodb:')).toEqual([
        expect.objectContaining({
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^StateTable/), 'Arn'] },
        }),
      ]);
    });

    it('is not granted any "*" resource except ListStreams and X-Ray', () => {
      const wildcards = statementsOf(template, 'ExportRole').filter((s) => s.Resource === '*');
      expect(wildcards.flatMap((s) => s.Action).sort()).toEqual([
        'kinesis:ListStreams',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ]);
    });
  });

  describe('decide role', () => {
    it('reads the profile stream and sends only to the export, rejects and failure queues', () => {
      expect(actionsOf(template, 'DecideRole')).toEqual(
        [
          'dynamodb:DescribeStream',
          'dynamodb:GetRecords',
          'dynamodb:GetShardIterator',
          'dynamodb:ListStreams',
          'kms:Decrypt',
          'kms:GenerateDataKey',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'sqs:SendMessage',
          'xray:PutTelemetryRecords',
          'xray:PutTraceSegments',
        ].sort(),
      );
      expect(statementsWith(template, 'DecideRole', 'sqs:')).toEqual([
        {
          Sid: 'SendToQueues',
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Resource: [
            { 'Fn::GetAtt': [expect.stringMatching(/^QueuesDecideFailuresQueue/), 'Arn'] },
            { 'Fn::GetAtt': [expect.stringMatching(/^QueuesExportQueue/), 'Arn'] },
            { 'Fn::GetAtt': [expect.stringMatching(/^QueuesRejectsQueue/), 'Arn'] },
          ],
        },
      ]);
      expect(statementsWith(template, 'DecideRole', 'kms:')).toEqual([
        expect.objectContaining({
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^PipelineKey/), 'Arn'] },
        }),
      ]);
    });

    it('has no Kinesis and no state table permission', () => {
      const actions = actionsOf(template, 'DecideRole');
      expect(actions.filter((a) => a.startsWith('kinesis:'))).toEqual([]);
      expect(actions).not.toContain('dynamodb:PutItem');
    });
  });

  describe('backfill role', () => {
    it('scans the profile table, uses the state table, queues exports and re-invokes only itself', () => {
      expect(actionsOf(template, 'BackfillRole')).toEqual(
        [
          'dynamodb:BatchGetItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:DescribeTable',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Scan',
          'dynamodb:UpdateItem',
          'kms:Decrypt',
          'kms:GenerateDataKey',
          'lambda:InvokeFunction',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'sqs:SendMessage',
          'sqs:SendMessage',
          'xray:PutTelemetryRecords',
          'xray:PutTraceSegments',
        ].sort(),
      );
      expect(statementsWith(template, 'BackfillRole', 'lambda:')).toEqual([
        {
          Sid: 'ContinueOwnScan',
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':lambda:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':function:KinesisDestination-backfill',
              ],
            ],
          },
        },
      ]);
      expect(statementsWith(template, 'BackfillRole', 'dynamodb:Scan')).toEqual([
        expect.objectContaining({
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ProfileTable/), 'Arn'] },
        }),
      ]);
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: 'KinesisDestination-backfill',
        Timeout: 900,
        Environment: {
          Variables: Match.objectLike({
            PROFILE_TABLE_NAME: { Ref: Match.stringLikeRegexp('^ProfileTable') },
            STATE_TABLE_NAME: { Ref: Match.stringLikeRegexp('^StateTable') },
            EXPORT_QUEUE_URL: { Ref: Match.stringLikeRegexp('^QueuesExportQueue') },
          }),
        },
        DeadLetterConfig: { TargetArn: getAtt('QueuesBackfillFailuresQueue') },
      });
    });
  });

  describe('deploy-time functions', () => {
    it("lets the connection check describe only the imported streams, and simulate only the export role's policy", () => {
      expect(statementsWith(template, 'ConnectionCheckHandlerRole', 'kinesis:')).toEqual([
        {
          Sid: 'DescribeDestinationStreams',
          Effect: 'Allow',
          Action: 'kinesis:DescribeStreamSummary',
          // Sorted by the minimizePolicies feature flag.
          Resource: [
            importedStreamArn('us-east-2', 'profile-analytics'),
            importedStreamArn('us-east-2', 'profile-exports'),
          ],
        },
      ]);
      expect(statementsWith(template, 'ConnectionCheckHandlerRole', 'iam:')).toEqual([
        {
          Sid: 'SimulateExportRole',
          Effect: 'Allow',
          Action: 'iam:SimulatePrincipalPolicy',
          Resource: getAttValue('ExportRole'),
        },
      ]);
      expect(statementsWith(template, 'ConnectionCheckHandlerRole', 'cloudformation:')).toEqual([
        {
          Sid: 'ReadOwnStack',
          Effect: 'Allow',
          Action: ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks'],
          Resource: { Ref: 'AWS::StackId' },
        },
      ]);
      template.hasResourceProperties('Custom::KinesisConnectionCheck', {
        ExportRoleArn: getAtt('ExportRole'),
        Destinations: [
          {
            destinationId: 'marketing',
            region: 'us-east-2',
            streamName: 'profile-exports',
            streamArn: importedStreamArn('us-east-2', 'profile-exports'),
          },
          {
            destinationId: 'analytics',
            region: 'us-east-2',
            streamName: 'profile-analytics',
            streamArn: importedStreamArn('us-east-2', 'profile-analytics'),
          },
        ],
      });
    });

    it("runs the connection check after the export role's policy exists (the simulation reads it)", () => {
      const [check] = Object.values(template.findResources('Custom::KinesisConnectionCheck'));
      expect(check?.DependsOn).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^ExportRoleDefaultPolicy/),
          expect.stringMatching(/^ExportRole[0-9A-F]{8}$/),
        ]),
      );
      template.resourceCountIs('Custom::KinesisStreamNameCheck', 0);
    });

    it('lets the backfill trigger invoke only the backfill function', () => {
      expect(statementsWith(template, 'BackfillTriggerRole', 'lambda:')).toEqual([
        {
          Sid: 'StartBackfill',
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^BackfillFunction/), 'Arn'] },
        },
      ]);
    });

    it('starts one asynchronous backfill for every mapped segment (one scan), after the connection check', () => {
      const runs = template.findResources('Custom::KinesisDestinationBackfill');
      expect(Object.keys(runs)).toHaveLength(1);
      for (const run of Object.values(runs)) {
        expect(run.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^ConnectionCheck/)]));
      }
      const create = JSON.stringify(Object.values(runs)[0]?.Properties.Create);
      expect(create).toContain('\\"InvocationType\\":\\"Event\\"');
      expect(create).toContain('\\"destinationId\\\\\\":\\\\\\"marketing');
      // The four mapped (destination, segment) pairs of the example config, in one event.
      expect(create.match(/segmentId/g)).toHaveLength(4);
    });
  });

  describe('functions', () => {
    it('run the newest Node.js aws-cdk-lib knows on ARM64 with tracing, their own log group and the config layer', () => {
      const functions = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) =>
        /^(DecideFunction|ExportFunction|BackfillFunction|ConnectionCheckHandlerFunction)/.test(id),
      );
      expect(functions.length).toBe(4);
      for (const [, fn] of functions) {
        expect(fn.Properties).toMatchObject({
          Runtime: pipelineRuntime().name,
          Architectures: ['arm64'],
          Layers: [{ Ref: expect.stringMatching(/^ConfigLayer/) }],
          TracingConfig: { Mode: 'Active' },
          LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/Logs/) } },
        });
        expect(fn.Properties.Environment.Variables).toMatchObject({
          POWERTOOLS_SERVICE_NAME: 'kinesis-destination',
          POWERTOOLS_METRICS_NAMESPACE: 'KinesisDestination',
        });
        expect(fn.Properties.Environment.Variables).not.toHaveProperty('KD_CONFIG_JSON');
      }
    });

    it('give each function the environment of docs/ARCHITECTURE.md', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            EXPORT_QUEUE_URL: { Ref: Match.stringLikeRegexp('^QueuesExportQueue') },
            REJECTS_QUEUE_URL: { Ref: Match.stringLikeRegexp('^QueuesRejectsQueue') },
          }),
        },
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            STATE_TABLE_NAME: { Ref: Match.stringLikeRegexp('^StateTable') },
            EXPORT_MAX_RECEIVE_COUNT: '31',
          }),
        },
      });
    });

    it('encrypt every log group with the pipeline key and keep it 30 days', () => {
      const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
      expect(groups.length).toBeGreaterThanOrEqual(6);
      for (const group of groups) {
        expect(group.Properties).toMatchObject({ RetentionInDays: 30, KmsKeyId: getAttValue('PipelineKey') });
      }
    });
  });

  describe('tables', () => {
    it('creates the profile table with a NEW_AND_OLD_IMAGES stream, PITR, encryption, deletion protection, retained', () => {
      template.hasResource('AWS::DynamoDB::Table', {
        Properties: Match.objectLike({
          KeySchema: [{ AttributeName: 'profileId', KeyType: 'HASH' }],
          StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
          DeletionProtectionEnabled: true,
          BillingMode: 'PAY_PER_REQUEST',
        }),
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });

    it('creates the state table with pk, TTL on ttl, PITR, encryption and on-demand billing', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        BillingMode: 'PAY_PER_REQUEST',
      });
    });
  });

  describe('queues', () => {
    it('makes the export queue high-throughput FIFO with the DLQ as a backstop after 31 receives', () => {
      template.hasResourceProperties('AWS::SQS::Queue', {
        FifoQueue: true,
        ContentBasedDeduplication: false,
        DeduplicationScope: 'messageGroup',
        FifoThroughputLimit: 'perMessageGroupId',
        VisibilityTimeout: 180,
        RedrivePolicy: { deadLetterTargetArn: getAtt('QueuesDeadLetterQueue'), maxReceiveCount: 31 },
      });
    });

    it('keeps waiting exports 14 days, the SQS maximum, so none expires before it reaches the DLQ', () => {
      template.hasResourceProperties('AWS::SQS::Queue', {
        FifoQueue: true,
        MessageRetentionPeriod: 1_209_600,
        RedrivePolicy: Match.objectLike({ maxReceiveCount: 31 }),
      });
    });

    it("sends the decide mapping's failed batches to a standard queue (stream on-failure destinations cannot be FIFO)", () => {
      const queues = template.findResources('AWS::SQS::Queue');
      const failures = Object.entries(queues).find(([id]) => id.startsWith('QueuesDecideFailuresQueue'));
      expect(failures?.[1].Properties.FifoQueue).toBeUndefined();
    });

    it('keeps dead letters and rejects 14 days', () => {
      const fourteenDays = 14 * 24 * 60 * 60;
      template.hasResourceProperties('AWS::SQS::Queue', {
        FifoQueue: true,
        MessageRetentionPeriod: fourteenDays,
        RedrivePolicy: Match.absent(),
      });
      const standard = Object.values(template.findResources('AWS::SQS::Queue')).filter(
        (q) => q.Properties.FifoQueue !== true,
      );
      expect(standard).toHaveLength(3);
      for (const q of standard) expect(q.Properties.MessageRetentionPeriod).toBe(fourteenDays);
    });

    it('encrypts every queue with the pipeline key and denies requests without TLS', () => {
      const queues = template.findResources('AWS::SQS::Queue');
      expect(Object.keys(queues)).toHaveLength(5);
      for (const q of Object.values(queues))
        expect(q.Properties.KmsMasterKeyId).toEqual(getAttValue('PipelineKey'));
      const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy'));
      expect(policies).toHaveLength(5);
      for (const p of policies) {
        expect(p.Properties.PolicyDocument.Statement).toContainEqual(
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        );
      }
    });

    it('rotates the pipeline key', () => {
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    });
  });

  describe('event sources', () => {
    it('maps the profile stream to decide with bisect, item failures, retries until the records expire and an on-failure queue', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: getAtt('ProfileTable', 'StreamArn'),
        FunctionName: { Ref: Match.stringLikeRegexp('^DecideFunction') },
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 0,
        BisectBatchOnFunctionError: true,
        // -1: retried until the records expire from the stream (core/pipeline-settings.ts says why).
        MaximumRetryAttempts: -1,
        MaximumRecordAgeInSeconds: -1,
        ParallelizationFactor: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: getAtt('QueuesDecideFailuresQueue') } },
      });
    });

    it('maps the export queue to export in batches of 10 with item failures and maximum concurrency, no window', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: getAtt('QueuesExportQueue'),
        FunctionName: { Ref: Match.stringLikeRegexp('^ExportFunction') },
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: Match.absent(),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 20 },
      });
    });
  });

  describe('alerts', () => {
    it('encrypts the alert topic and refuses publishing without TLS', () => {
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: getAtt('PipelineKey') });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    it.each([
      ['QueuesDeadLetterQueue', 'DeadLetterQueueNotEmpty'],
      ['QueuesRejectsQueue', 'RejectsQueueNotEmpty'],
      ['QueuesDecideFailuresQueue', 'DecideFailuresQueueNotEmpty'],
      ['QueuesBackfillFailuresQueue', 'BackfillFailuresQueueNotEmpty'],
    ])(
      'alarms when %s holds any message, and keeps alarming while the idle queue reports nothing',
      (queue, alarm) => {
        expect(alarmNamed(alarm)).toMatchObject({
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Namespace: 'AWS/SQS',
          Dimensions: [{ Name: 'QueueName', Value: getAttValue(queue, 'QueueName') }],
          Statistic: 'Maximum',
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          // SQS stops a queue's metrics after six hours without an API call: not a sign it is empty.
          TreatMissingData: 'ignore',
        });
      },
    );

    it.each([
      ['QueuesDeadLetterQueue', 'DeadLetterQueueNearExpiry'],
      ['QueuesRejectsQueue', 'RejectsQueueNearExpiry'],
      ['QueuesDecideFailuresQueue', 'DecideFailuresQueueNearExpiry'],
      ['QueuesBackfillFailuresQueue', 'BackfillFailuresQueueNearExpiry'],
    ])(
      'alarms when the oldest message of %s is 10 days old, 4 days before its 14-day retention ends',
      (queue, alarm) => {
        expect(alarmNamed(alarm)).toMatchObject({
          MetricName: 'ApproximateAgeOfOldestMessage',
          Namespace: 'AWS/SQS',
          Dimensions: [{ Name: 'QueueName', Value: getAttValue(queue, 'QueueName') }],
          Statistic: 'Maximum',
          Threshold: 10 * 24 * 60 * 60,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'ignore',
        });
      },
    );

    it("alarms when an export waits in the export queue longer than the page's 10 minutes", () => {
      expect(alarmNamed('ExportQueueOldestMessage')).toMatchObject({
        MetricName: 'ApproximateAgeOfOldestMessage',
        Namespace: 'AWS/SQS',
        Dimensions: [{ Name: 'QueueName', Value: getAttValue('QueuesExportQueue', 'QueueName') }],
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 600,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'ignore',
      });
      // Above an export's whole retry budget: retries alone never raise it.
      const { visibilityTimeoutSeconds } = PIPELINE_SETTINGS.exportQueue;
      expect(ALARM_THRESHOLDS.exportQueueOldestMessageSeconds).toBeGreaterThan(
        PIPELINE_SETTINGS.export.attempts * visibilityTimeoutSeconds,
      );
      expect(ALARM_THRESHOLDS.exportQueueOldestMessageSeconds * 1000).toBe(
        ALARM_THRESHOLDS.exportLatencyP95Ms,
      );
    });

    it.each([
      ['DecideDestinationDeliveryFailures', 'DestinationDeliveryFailures', 'DecideFunction'],
      ['BackfillAsyncEventsDropped', 'AsyncEventsDropped', 'BackfillFunction'],
      ['BackfillDeadLetterErrors', 'DeadLetterErrors', 'BackfillFunction'],
    ])('alarms on %s, failures Lambda could not hand on', (alarm, metric, fn) => {
      expect(alarmNamed(alarm)).toMatchObject({
        MetricName: metric,
        Namespace: 'AWS/Lambda',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: expect.stringMatching(new RegExp(`^${fn}`)) } }],
        Statistic: 'Sum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    it("alarms when DynamoDB throttles any of the state table's operations", () => {
      const alarm = alarmNamed('StateTableThrottles');
      expect(alarm).toMatchObject({ Threshold: 0, TreatMissingData: 'notBreaching' });
      const metrics = JSON.stringify(alarm.Metrics);
      for (const operation of ['BatchGetItem', 'BatchWriteItem', 'GetItem', 'PutItem', 'UpdateItem']) {
        expect(metrics).toContain(`"Value":"${operation}"`);
      }
      expect(metrics).toContain('"MetricName":"ThrottledRequests"');
      expect(metrics).toMatch(/"TableName","Value":\{"Ref":"StateTable/);
    });

    it('alarms when the decider is more than 5 minutes behind', () => {
      expect(alarmNamed('DecideIteratorAge')).toMatchObject({
        MetricName: 'IteratorAge',
        Namespace: 'AWS/Lambda',
        Statistic: 'Maximum',
        Threshold: 300_000,
        ComparisonOperator: 'GreaterThanThreshold',
        // Lambda reports it only for invocations: a decider that stops while behind stays alarmed.
        TreatMissingData: 'ignore',
      });
      expect(ALARM_THRESHOLDS.decideIteratorAgeMs).toBe(300_000);
    });

    it.each(['Decide', 'Export', 'Backfill'])('alarms on errors and throttles of %s', (name) => {
      for (const [suffix, metric] of [
        ['Errors', 'Errors'],
        ['Throttles', 'Throttles'],
      ] as const) {
        expect(alarmNamed(`${name}${suffix}`)).toMatchObject({
          MetricName: metric,
          Namespace: 'AWS/Lambda',
          Dimensions: [
            { Name: 'FunctionName', Value: { Ref: expect.stringMatching(new RegExp(`^${name}Function`)) } },
          ],
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
        });
      }
    });

    it('alarms when more than 5% of the records put are throttled', () => {
      const alarm = alarmNamed('ThrottledRecordRate');
      expect(alarm.Threshold).toBe(5);
      const expression = (alarm.Metrics as { Expression?: string }[]).find((m) => m.Expression !== undefined);
      expect(expression?.Expression).toBe('IF(put + throttled > 0, 100 * throttled / (put + throttled), 0)');
      expect(JSON.stringify(alarm.Metrics)).toContain('"MetricName":"RecordsThrottled"');
      expect(JSON.stringify(alarm.Metrics)).toContain('"MetricName":"RecordsPut"');
    });

    it("alarms when this pipeline's p95 export latency exceeds 10 minutes", () => {
      expect(alarmNamed('ExportLatencyP95')).toMatchObject({
        MetricName: 'ExportLatency',
        Namespace: 'KinesisDestination',
        // The pipeline dimension: the default stack's pipeline is named after the stack.
        Dimensions: [
          { Name: 'pipeline', Value: 'KinesisDestination' },
          { Name: 'service', Value: 'kinesis-destination' },
        ],
        ExtendedStatistic: 'p95',
        Threshold: 600_000,
        TreatMissingData: 'ignore',
      });
    });

    it('sends every alarm to the alert topic', () => {
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
      // 4 sinks × (not empty, near expiry), 3 lags, 6 function errors/throttles, 3 Lambda hand-off
      // failures, throttled records, state table throttles.
      expect(alarms).toHaveLength(8 + 3 + 6 + 3 + 2);
      for (const a of alarms)
        expect(a.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^AlertsTopic/) }]);
    });

    it('builds a dashboard of the flow', () => {
      const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
      expect(dashboards).toHaveLength(1);
      const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);
      for (const metric of [
        'ProfilesEvaluated',
        'ExportsQueued',
        'RecordsPut',
        'RecordsThrottled',
        'RecordsDeadLettered',
        'ExportLatency',
        'IteratorAge',
        'ApproximateNumberOfMessagesVisible',
      ]) {
        expect(body).toContain(metric);
      }
      expect(body).toContain('p50');
      expect(body).toContain('p95');
    });
  });

  it('exports the outputs the CLI reads', () => {
    for (const name of [
      'ProfileTableName',
      'StateTableName',
      'ExportQueueUrl',
      'DeadLetterQueueUrl',
      'RejectsQueueUrl',
    ]) {
      template.hasOutput(name, {});
    }
    template.hasOutput('DeadLetterQueueUrl', {
      Value: { Ref: Match.stringLikeRegexp('^QueuesDeadLetterQueue') },
    });
  });
});

function getAttValue(prefix: string, attribute = 'Arn'): unknown {
  return { 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${prefix}`)), attribute] };
}

function alarmNamed(id: string): Record<string, unknown> {
  const alarms = template.findResources('AWS::CloudWatch::Alarm');
  const match = Object.entries(alarms).filter(([logicalId]) => logicalId.startsWith(`Alerts${id}`));
  if (match.length !== 1) throw new Error(`expected one alarm Alerts${id}*, found ${match.length}`);
  return match[0]?.[1].Properties as Record<string, unknown>;
}
