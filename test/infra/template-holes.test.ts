import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { KinesisDestination } from '../../lib/kinesis-destination.js';
import { propsFromConfig } from '../../lib/props-from-config.js';
import { onePipeline } from './pipelines.js';
import { configWith, exampleConfig, statementsOf, synth } from './synth.js';

type Json = Record<string, unknown>;
const OPERATOR_ARN = 'arn:aws:iam::123456789012:role/ops/redrive-operator';
/** An IAM Identity Center role: its permission set grants the actions; the app cannot attach a policy to it. */
const SSO_ARN =
  'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/us-east-2/AWSReservedSSO_Operators_0123456789abcdef';

/** The statements of the queue policy of the queue whose logical id starts with `queuePrefix`. */
function queuePolicyStatements(template: Template, queuePrefix: string): Json[] {
  const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy')).filter((p) =>
    JSON.stringify(p.Properties.Queues).includes(`"${queuePrefix}`),
  );
  if (policies.length !== 1)
    throw new Error(`expected one policy of ${queuePrefix}*, found ${policies.length}`);
  return ((policies[0]?.Properties.PolicyDocument ?? {}) as { Statement: Json[] }).Statement;
}

const arnOf = (prefix: string) => ({
  'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${prefix}`)), 'Arn'],
});

describe('the export queue accepts exports only from the pipeline and its operators', () => {
  const { template } = onePipeline((stack) => ({
    ...propsFromConfig(stack, exampleConfig()),
    operatorRoles: [
      iam.Role.fromRoleArn(stack, 'Operators', OPERATOR_ARN),
      iam.Role.fromRoleArn(stack, 'SsoOperators', SSO_ARN, { mutable: false }),
    ],
  }));

  it('denies sqs:SendMessage to every principal but decide, backfill, export and the operator roles, beside the TLS deny', () => {
    const statements = queuePolicyStatements(template(), 'PipelineQueuesExportQueue');
    expect(statements).toEqual([
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sqs:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
      {
        Sid: 'DenySendersOutsideThePipeline',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'sqs:SendMessage',
        Resource: arnOf('PipelineQueuesExportQueue'),
        Condition: {
          ArnNotEquals: {
            'aws:PrincipalArn': [
              arnOf('PipelineDecideRole'),
              arnOf('PipelineBackfillRole'),
              arnOf('PipelineExportRole'),
              OPERATOR_ARN,
              SSO_ARN,
            ],
          },
        },
      },
    ]);
  });

  it('leaves the roles that send with their own SendMessage grant, and the export mapping receiving only', () => {
    const sendsToExportQueue = (role: string) =>
      statementsOf(template(), role).some(
        (s) =>
          ([] as unknown[]).concat(s.Action).includes('sqs:SendMessage') &&
          JSON.stringify(s.Resource).includes('"PipelineQueuesExportQueue'),
      );
    expect(sendsToExportQueue('PipelineDecideRole')).toBe(true);
    expect(sendsToExportQueue('PipelineBackfillRole')).toBe(true);
    // Lambda's SQS mapping polls with the export role: receive and delete, never send.
    const exportQueueActions = statementsOf(template(), 'PipelineExportRole')
      .filter((s) => JSON.stringify(s.Resource).includes('PipelineQueuesExportQueue'))
      .flatMap((s) => ([] as unknown[]).concat(s.Action));
    expect(exportQueueActions).not.toContain('sqs:SendMessage');
    expect(exportQueueActions).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']));
  });

  it('lets the dead-letter queue take moves from the export queue only (its policy has no sender rule)', () => {
    const statements = queuePolicyStatements(template(), 'PipelineQueuesDeadLetterQueue');
    expect(statements.map((s) => s.Sid)).not.toContain('DenySendersOutsideThePipeline');
  });

  it('grants an operator role exactly what dlq list and dlq redrive need (grantRedrive), and an immutable one nothing', () => {
    const policiesOf = (roleName: string) =>
      Object.values(template().findResources('AWS::IAM::Policy')).filter(
        (p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([roleName]),
      );
    expect(policiesOf('AWSReservedSSO_Operators_0123456789abcdef')).toEqual([]);
    const [policy] = policiesOf('redrive-operator');
    const statements = ((policy?.Properties.PolicyDocument ?? {}) as { Statement?: Json[] }).Statement;
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueAttributes',
          'sqs:StartMessageMoveTask',
          'sqs:ListMessageMoveTasks',
          'sqs:CancelMessageMoveTask',
        ],
        Resource: arnOf('PipelineQueuesDeadLetterQueue'),
      },
      {
        Effect: 'Allow',
        Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes'],
        Resource: arnOf('PipelineQueuesExportQueue'),
      },
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
        Resource: arnOf('PipelineStateTable'),
      },
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: arnOf('PipelinePipelineKey'),
      },
      { Effect: 'Allow', Action: 'cloudformation:DescribeStacks', Resource: { Ref: 'AWS::StackId' } },
    ]);
  });

  it('lets grantRedrive add a role of the app to the senders, and refuses a grantee it cannot name', () => {
    const built = onePipeline((stack) => propsFromConfig(stack, exampleConfig()));
    const role = new iam.Role(built.stack, 'OnCall', { assumedBy: new iam.AccountRootPrincipal() });
    built.pipeline.grantRedrive(role);
    const condition = queuePolicyStatements(built.template(), 'PipelineQueuesExportQueue')[1]
      ?.Condition as Json;
    expect(JSON.stringify(condition)).toMatch(/"OnCall[0-9A-F]{8}","Arn"/);
    expect(() => built.pipeline.grantRedrive(new iam.ServicePrincipal('sqs.amazonaws.com'))).toThrow(
      /grantRedrive needs an IAM role or user/,
    );
  });
});

describe('operatorRoleArns in a config file', () => {
  it('lets those roles through the export queue policy and attaches nothing to them', () => {
    const { template } = synth(configWith((raw) => Object.assign(raw, { operatorRoleArns: [SSO_ARN] })));
    const [, senders] = queuePolicyStatements(template, 'QueuesExportQueue');
    expect(JSON.stringify(senders?.Condition)).toContain(SSO_ARN);
    const attached = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes('AWSReservedSSO'),
    );
    expect(attached).toEqual([]);
  });
});

describe('Elastic IPs of the static egress network', () => {
  const staticEgress = () => configWith((raw) => Object.assign(raw, { network: { staticEgressIps: true } }));

  it('are retained on stack deletion and on replacement: the addresses partners allowlisted stay allocated', () => {
    const { template } = synth(staticEgress());
    const eips = Object.values(template.findResources('AWS::EC2::EIP'));
    expect(eips).toHaveLength(2);
    for (const eip of eips)
      expect([eip.DeletionPolicy, eip.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
  });

  it('are deleted with a test stack whose data is destroyed', () => {
    const { template } = synth(
      configWith((raw) =>
        Object.assign(raw, { network: { staticEgressIps: true }, dataRemovalPolicy: 'destroy' }),
      ),
    );
    for (const eip of Object.values(template.findResources('AWS::EC2::EIP')))
      expect(eip.DeletionPolicy).toBe('Delete');
  });

  it('can be the customer’s own allocations (those a deleted stack kept): no new address, the NAT gateways use them', () => {
    const ids = ['eipalloc-0123456789abcdef0', 'eipalloc-0fedcba9876543210'];
    const { template } = synth(
      configWith((raw) =>
        Object.assign(raw, { network: { staticEgressIps: true, elasticIpAllocationIds: ids } }),
      ),
    );
    template.resourceCountIs('AWS::EC2::EIP', 0);
    const nats = Object.values(template.findResources('AWS::EC2::NatGateway')).map(
      (n) => n.Properties.AllocationId,
    );
    expect(nats).toEqual(ids);
    expect(template.toJSON().Outputs.StaticEgressIps).toBeUndefined();
  });
});

describe('existingStateTable: a redeployed pipeline adopts the old ledger', () => {
  const STATE_TABLE_ARN =
    'arn:aws:dynamodb:us-east-2:123456789012:table/KinesisDestination-StateTable-1A2B3C';

  it('creates no state table, and reads and writes the adopted one', () => {
    const { template } = onePipeline((stack) => ({
      ...propsFromConfig(stack, exampleConfig()),
      existingStateTable: dynamodb.Table.fromTableArn(stack, 'OldState', STATE_TABLE_ARN),
      dataRemovalPolicy: RemovalPolicy.DESTROY,
    }));
    // The profile table only.
    template().resourceCountIs('AWS::DynamoDB::Table', 1);
    for (const role of ['PipelineExportRole', 'PipelineBackfillRole']) {
      expect(statementsOf(template(), role)).toContainEqual(
        expect.objectContaining({ Sid: 'ReadWriteState', Resource: STATE_TABLE_ARN }),
      );
    }
    template().hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ STATE_TABLE_NAME: 'KinesisDestination-StateTable-1A2B3C' }),
      },
    });
    template().hasOutput('TeamPipelineStateTableName', { Value: 'KinesisDestination-StateTable-1A2B3C' });
  });

  it('checks a table of the app for the state table’s key and expiry attribute', () => {
    const build = () =>
      onePipeline((stack) => ({
        ...propsFromConfig(stack, exampleConfig()),
        existingStateTable: new dynamodb.Table(stack, 'WrongState', {
          partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
          timeToLiveAttribute: 'expiresAt',
        }),
      }));
    expect(build).toThrow(/existingStateTable: is keyed by id: the state table has partition key "pk"/);
    expect(build).toThrow(
      /existingStateTable: expires items on "expiresAt": the pipeline writes expiries to "ttl"/,
    );
  });
});

describe('grantWriteProfiles()', () => {
  it("lets an upstream writer write the profile table, with the table's customer-managed key", () => {
    const stack = new Stack(undefined, 'Team');
    const pipeline = new KinesisDestination(stack, 'Pipeline', {
      ...propsFromConfig(stack, exampleConfig()),
      profileTableProps: { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED },
    });
    const writer = new iam.Role(stack, 'Writer', { assumedBy: new iam.AccountRootPrincipal() });
    pipeline.grantWriteProfiles(writer);
    const actions = statementsOf(Template.fromStack(stack), 'Writer')
      .flatMap((s) => ([] as unknown[]).concat(s.Action))
      .map(String);
    expect(actions).toEqual(
      expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem']),
    );
    expect(actions.some((a) => a.startsWith('kms:'))).toBe(true);
  });
});
