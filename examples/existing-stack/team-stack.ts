import { CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { KinesisDestination, STACK_OUTPUT } from 'kinesis-destination';

/**
 * A team's existing stack — its profile table (stream on), its key and its on-call topic — that adds
 * the pipeline next to them with the `KinesisDestination` construct. The destinations are typed props
 * here; `loadConfigFile('my-config.json')` fills them from a config file just as well.
 */
export class TeamStack extends Stack {
  /** The pipeline, for wiring further (queues, functions, export role, dashboard). */
  readonly profileExports: KinesisDestination;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    // --- What the team already had ---------------------------------------------------------------
    const key = new kms.Key(this, 'TeamKey', {
      description: 'team: customer data and alerts',
      enableKeyRotation: true,
    });
    const profiles = new dynamodb.Table(this, 'Profiles', {
      partitionKey: { name: 'profileId', type: dynamodb.AttributeType.STRING },
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      deletionProtection: true,
    });
    // The team's own finding on its own table, acknowledged by the team (the construct acknowledges
    // only the resources it creates).
    Validations.of(profiles).acknowledge({
      id: 'NIST.800.53.R5-DynamoDBInBackupPlan',
      reason: "The organization's AWS Backup policy selects the team's tables by tag.",
    });
    const onCall = new sns.Topic(this, 'OnCall', { masterKey: key, enforceSSL: true });

    // --- The pipeline, next to them ----------------------------------------------------------------
    this.profileExports = new KinesisDestination(this, 'ProfileExports', {
      existingProfileTable: profiles,
      // Queues and log groups use the team's key; the construct adds the CloudWatch alarms and
      // CloudWatch Logs statements to its policy.
      existingEncryptionKey: key,
      existingAlarmTopic: onCall,
      destinations: [
        {
          id: 'marketing',
          name: 'Amazon Kinesis – marketing',
          region: 'us-east-2',
          streamName: 'profile-exports',
          includeSegmentNames: true,
          segments: [
            {
              id: '5b998cb9-9488-4ec3-8d95-fa8338ced490',
              mappingCreatedAt: 1649856570000,
              mappingUpdatedAt: 1649856570000,
            },
          ],
          attributes: ['person.name.firstName', 'personalEmail.address'],
        },
      ],
      segmentCatalog: [
        {
          id: '5b998cb9-9488-4ec3-8d95-fa8338ced490',
          name: 'First name equals John',
          mergePolicyId: 'mp-default',
          createdAt: 1648553325000,
          updatedAt: 1648553330000,
        },
      ],
    });

    // The default stack's output names (STACK_OUTPUT), which the CLI reads with `--stack TeamStack`.
    new CfnOutput(this, STACK_OUTPUT.exportRoleArn, {
      value: this.profileExports.exportRole.roleArn,
      description: 'Trust this role in cross-account stream roles',
    });
    new CfnOutput(this, STACK_OUTPUT.deadLetterQueueUrl, {
      value: this.profileExports.deadLetterQueue.queueUrl,
    });
  }
}
