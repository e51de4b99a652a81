import { Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { DestinationTarget, KinesisDestination } from 'kinesis-destination';

/**
 * A team's existing stack — its profile table (stream on), its key, its on-call topic and a stream of
 * its own — that adds the pipeline next to them with the `KinesisDestination` construct, its
 * destinations given as typed targets: the team's stream (a resource of this stack: its name and
 * region reach the functions through their environment) and a partner's stream in another account,
 * written by assuming the partner's role with an external id. The construct writes the stack outputs
 * the CLI reads (`npx kinesis-destination dlq list --stack TeamStack`).
 */
export class TeamStack extends Stack {
  /** The pipeline, for wiring further (queues, functions, export role, dashboard, metrics). */
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
    const audiences = new kinesis.Stream(this, 'Audiences', {
      streamMode: kinesis.StreamMode.ON_DEMAND,
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: key,
    });
    // The team's own findings on its own resources, acknowledged by the team (the construct
    // acknowledges only the resources it creates).
    Validations.of(profiles).acknowledge({
      id: 'NIST.800.53.R5-DynamoDBInBackupPlan',
      reason: "The organization's AWS Backup policy selects the team's tables by tag.",
    });
    Validations.of(audiences).acknowledge({
      id: 'AwsSolutions-KDS3',
      reason: "The team's stream is encrypted with the team's own key, which its consumers are granted.",
    });
    const onCall = new sns.Topic(this, 'OnCall', { masterKey: key, enforceSSL: true });
    const writersAccount = '210987654321';

    // --- The pipeline, next to them ----------------------------------------------------------------
    this.profileExports = new KinesisDestination(this, 'ProfileExports', {
      pipelineName: 'team-profile-exports',
      existingProfileTable: profiles,
      // Queues and log groups use the team's key; the construct adds the CloudWatch alarms and
      // CloudWatch Logs statements to its policy, and lets CloudWatch publish to the team's topic.
      existingEncryptionKey: key,
      existingAlarmTopic: onCall,
      destinations: [
        {
          id: 'marketing',
          name: 'Amazon Kinesis – marketing',
          // The team's own stream: the export role writes it, with kms:GenerateDataKey on its key.
          target: DestinationTarget.stream(audiences),
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
        {
          id: 'analytics',
          name: 'Amazon Kinesis – partner analytics',
          // A partner's stream: the export role assumes the partner's role (its trust policy names the
          // export role and requires the external id).
          target: DestinationTarget.crossAccountStream({
            stream: kinesis.Stream.fromStreamArn(
              this,
              'PartnerStream',
              `arn:aws:kinesis:us-east-2:${writersAccount}:stream/profile-analytics`,
            ),
            role: iam.Role.fromRoleArn(
              this,
              'PartnerWriter',
              `arn:aws:iam::${writersAccount}:role/kinesis-destination-writer`,
              { mutable: false },
            ),
            externalId: 'team-profile-exports',
          }),
          segments: [
            {
              id: '5b998cb9-9488-4ec3-8d95-fa8338ced490',
              mappingCreatedAt: 1649856570000,
              mappingUpdatedAt: 1649856570000,
            },
          ],
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
  }
}
