#!/usr/bin/env node
import { App, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  addNagPacks,
  CreatedStreamMode,
  type DestinationProps,
  DestinationTarget,
  KinesisDestination,
} from 'kinesis-destination';

/**
 * Two pipelines in one stack — a staging one that creates its own stream and a production one that
 * writes a partner's stream — each with its own profile table, queues, roles, alarms and dashboard:
 *
 *     npx cdk synth --app 'npx tsx examples/two-pipelines/app.ts'
 *
 * What keeps them apart: each `pipelineName` is the `pipeline` dimension of its metrics and alarms,
 * the root of its fixed names (`staging-export-<region>`, `prod-backfill`, …) and the prefix of its
 * stack outputs (`StagingExportQueueUrl`, `ProdExportQueueUrl`, …), which the CLI picks with
 * `--stack ProfileExports --pipeline prod`.
 */
const app = new App();
const stack = new Stack(app, 'ProfileExports', {
  description: 'Two kinesis-destination pipelines: staging and production',
});

const segment = {
  id: '5b998cb9-9488-4ec3-8d95-fa8338ced490',
  name: 'First name equals John',
  mergePolicyId: 'mp-default',
  createdAt: 1648553325000,
  updatedAt: 1648553330000,
};
const mapping: Omit<DestinationProps, 'id' | 'name' | 'target'> = {
  segments: [{ id: segment.id, mappingCreatedAt: 1649856570000, mappingUpdatedAt: 1649856570000 }],
  attributes: ['person.name.firstName', 'personalEmail.address'],
  includeSegmentNames: true,
};
// The on-call engineers' role: `dlq redrive` sends to the export queues as this role.
const operators = new iam.Role(stack, 'Operators', {
  assumedBy: new iam.AccountRootPrincipal(),
  description: 'kinesis-destination operators (dlq list, dlq redrive)',
});
// The pipelines grant this role of ours what the redrive needs, in its default policy: our finding.
Validations.of(operators).acknowledge({
  id: 'NIST.800.53.R5-IAMNoInlinePolicy',
  reason:
    'The operators role holds only the grants of the two pipelines (grantRedrive), created and deleted with them.',
});

new KinesisDestination(stack, 'Staging', {
  pipelineName: 'staging',
  destinations: [
    {
      id: 'marketing',
      name: 'Amazon Kinesis – marketing (staging)',
      target: DestinationTarget.createStream({
        streamName: 'staging-profile-exports',
        mode: CreatedStreamMode.ON_DEMAND,
        retention: Duration.hours(24),
      }),
      ...mapping,
    },
  ],
  segmentCatalog: [segment],
  profileTableProps: {
    tableName: 'staging-profiles',
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
  },
  // Staging's queues, state table and stream go with the stack.
  dataRemovalPolicy: RemovalPolicy.DESTROY,
  operatorRoles: [operators],
});

new KinesisDestination(stack, 'Prod', {
  pipelineName: 'prod',
  destinations: [
    {
      id: 'marketing',
      name: 'Amazon Kinesis – marketing',
      target: DestinationTarget.crossAccountStream({
        streamName: 'profile-exports',
        region: 'us-east-2',
        account: '210987654321',
        role: iam.Role.fromRoleArn(
          stack,
          'PartnerWriter',
          'arn:aws:iam::210987654321:role/kinesis-destination-writer',
          {
            mutable: false,
          },
        ),
        externalId: 'prod-profile-exports',
      }),
      ...mapping,
    },
  ],
  segmentCatalog: [segment],
  profileTableProps: { tableName: 'profiles' },
  peakWritesPerSecond: 2_000,
  alertEmails: ['oncall@example.com'],
  operatorRoles: [operators],
});

addNagPacks(app);
app.synth();
