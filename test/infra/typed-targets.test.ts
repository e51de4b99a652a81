import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { afterAll, describe, expect, it } from 'vitest';
import { withOverrides } from '../../lambdas/commons/environment.js';
import { literalPartition, validationDocument } from '../../lib/destination-resolution.js';
import { CreatedStreamMode, DestinationTarget } from '../../lib/destination-target.js';
import { KinesisDestinationPropsError } from '../../lib/errors.js';
import { propsFromConfig } from '../../lib/props-from-config.js';
import { destination, environmentOf, layerConfigOf, onePipeline, SEGMENT, testApp } from './pipelines.js';
import { exampleConfig, statementsOf, statementsWith } from './synth.js';

const scratch = mkdtempSync(join(tmpdir(), 'kd-targets-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const PARTNER = '210987654321';
const STREAM_ARN = `arn:aws:kinesis:us-east-2:${PARTNER}:stream/partner-exports`;
const ROLE_ARN = `arn:aws:iam::${PARTNER}:role/kinesis-destination-writer`;
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kinesis-writer-AbCdEf';
const SECRET_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const catalog = { segmentCatalog: [SEGMENT] };

type Json = Record<string, unknown>;

describe('DestinationTarget: each kind in the template', () => {
  it('stream(IStream) of another account, imported by ARN: the export role writes it, the name goes into the layer', () => {
    const outdir = join(scratch, 'imported');
    const { template } = onePipeline(
      (stack) => ({
        ...catalog,
        destinations: [
          destination(
            'partner',
            DestinationTarget.stream(kinesis.Stream.fromStreamArn(stack, 'Partner', STREAM_ARN)),
          ),
        ],
      }),
      { app: testApp(outdir) },
    );

    expect(statementsWith(template(), 'PipelineExportRole', 'kinesis:Put')).toEqual([
      expect.objectContaining({ Resource: STREAM_ARN }),
    ]);
    const layer = layerConfigOf(template(), outdir);
    expect((layer.destinations as Json[])[0]).toMatchObject({
      id: 'partner',
      streamName: 'partner-exports',
      region: 'us-east-2',
      accountId: PARTNER,
    });
    expect(environmentOf(template(), 'PipelineExportFunction')).not.toHaveProperty('KD_CONFIG_OVERRIDES');
  });

  it("stream(IStream) of this stack: its name and region reach the functions through the environment, and merge over the layer's config", () => {
    const outdir = join(scratch, 'token');
    let streamLogicalId = '';
    const { template, stack } = onePipeline(
      (s) => {
        const stream = new kinesis.Stream(s, 'Own', { streamMode: kinesis.StreamMode.ON_DEMAND });
        streamLogicalId = s.getLogicalId(stream.node.defaultChild as kinesis.CfnStream);
        return { ...catalog, destinations: [destination('own', DestinationTarget.stream(stream))] };
      },
      { app: testApp(outdir) },
    );

    const layer = layerConfigOf(template(), outdir);
    const own = (layer.destinations as Json[])[0] as Json;
    expect(own).not.toHaveProperty('streamName');
    expect(own).not.toHaveProperty('region');
    for (const fn of ['PipelineDecideFunction', 'PipelineExportFunction', 'PipelineBackfillFunction']) {
      expect(stack.resolve(environmentOf(template(), fn).KD_CONFIG_OVERRIDES)).toEqual({
        'Fn::Join': [
          '',
          [
            '{"destinations":{"own":{"streamName":"',
            { Ref: streamLogicalId },
            '","region":"',
            { Ref: 'AWS::Region' },
            '"}}}',
          ],
        ],
      });
    }
    // What the function does at cold start: the overrides, once CloudFormation resolved them, over the layer.
    const merged = withOverrides(
      layer,
      JSON.stringify({ destinations: { own: { streamName: 'team-own', region: 'us-east-2' } } }),
    ) as {
      destinations: Json[];
    };
    expect(merged.destinations[0]).toMatchObject({ id: 'own', streamName: 'team-own', region: 'us-east-2' });
  });

  it('crossAccountStream: AssumeRole on the partner role, no Kinesis write of its own, the external id to the check', () => {
    const { template } = onePipeline((stack) => ({
      ...catalog,
      destinations: [
        destination(
          'partner',
          DestinationTarget.crossAccountStream({
            streamName: 'partner-exports',
            region: 'us-east-2',
            account: PARTNER,
            role: iam.Role.fromRoleArn(stack, 'Writer', ROLE_ARN, { mutable: false }),
            externalId: 'kd-external-id',
          }),
        ),
      ],
    }));

    expect(statementsWith(template(), 'PipelineExportRole', 'sts:')).toEqual([
      { Sid: 'AssumeDestinationRoles', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ROLE_ARN },
    ]);
    expect(statementsWith(template(), 'PipelineExportRole', 'kinesis:Put')).toEqual([]);
    template().hasResourceProperties('Custom::KinesisConnectionCheck', {
      Destinations: [
        Match.objectLike({ roleArn: ROLE_ARN, externalId: 'kd-external-id', accountId: PARTNER }),
      ],
    });
  });

  it("accessKey with the secret's customer key: GetSecretValue on the secret, kms:Decrypt through Secrets Manager in the secret's region", () => {
    const { template } = onePipeline((stack) => ({
      ...catalog,
      destinations: [
        destination(
          'keyed',
          DestinationTarget.accessKey({
            streamName: 'profile-exports',
            region: 'us-east-2',
            secret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Secret', SECRET_ARN),
            secretKey: kms.Key.fromKeyArn(stack, 'SecretKey', SECRET_KEY_ARN),
          }),
        ),
      ],
    }));

    for (const role of ['PipelineExportRole', 'PipelineConnectionCheckHandlerRole']) {
      expect(statementsWith(template(), role, 'secretsmanager:')).toEqual([
        {
          Sid: 'ReadDestinationCredentials',
          Effect: 'Allow',
          Action: 'secretsmanager:GetSecretValue',
          Resource: SECRET_ARN,
        },
      ]);
      expect(statementsOf(template(), role)).toContainEqual({
        Sid: 'DecryptDestinationCredentials',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: SECRET_KEY_ARN,
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
      });
    }
  });

  it('accessKey with a secret known by name: the policy matches any version suffix', () => {
    const { template } = onePipeline((stack) => ({
      ...catalog,
      destinations: [
        destination(
          'named',
          DestinationTarget.accessKey({
            streamName: 'profile-exports',
            region: 'us-east-2',
            secret: secretsmanager.Secret.fromSecretNameV2(stack, 'Secret', 'kinesis-writer'),
          }),
        ),
      ],
    }));
    const [statement] = statementsWith(template(), 'PipelineExportRole', 'secretsmanager:');
    expect(JSON.stringify(statement?.Resource)).toMatch(/:secret:kinesis-writer-\?\?\?\?\?\?"/);
  });

  it('createStream: a provisioned stream with its retention and key, tagged with its destination', () => {
    const { template } = onePipeline((stack) => ({
      ...catalog,
      destinations: [
        destination(
          'created',
          DestinationTarget.createStream({
            streamName: 'created-exports',
            mode: CreatedStreamMode.PROVISIONED,
            shardCount: 3,
            retention: Duration.hours(48),
            encryptionKey: new kms.Key(stack, 'StreamKey', { enableKeyRotation: true }),
          }),
        ),
      ],
      dataRemovalPolicy: RemovalPolicy.DESTROY,
    }));
    template().hasResourceProperties('AWS::Kinesis::Stream', {
      Name: 'created-exports',
      ShardCount: 3,
      RetentionPeriodHours: 48,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      StreamEncryption: {
        EncryptionType: 'KMS',
        KeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StreamKey'), 'Arn'] },
      },
      Tags: Match.arrayWith([{ Key: 'DestinationId', Value: 'created' }]),
    });
    template().resourceCountIs('Custom::KinesisStreamNameCheck', 1);
  });
});

describe('props problems, all in one error', () => {
  it('lists every problem with its prop path and fix, not the first alone', () => {
    let error: unknown;
    try {
      onePipeline((stack) => ({
        segmentCatalog: [SEGMENT],
        pipelineName: 'not a name!',
        kinesisEndpoint: true,
        elasticIpAllocationIds: ['eipalloc-0123456789abcdef0'],
        dataRemovalPolicy: RemovalPolicy.SNAPSHOT,
        alertEmails: ['oncall'],
        peakWritesPerSecond: -5,
        destinations: [
          destination('Bad Id', DestinationTarget.streamNamed('not a stream!')),
          destination(
            'both',
            DestinationTarget.crossAccountStream({
              stream: kinesis.Stream.fromStreamArn(stack, 'S', STREAM_ARN),
              streamName: 'also-named',
              role: iam.Role.fromRoleArn(stack, 'R', ROLE_ARN),
            }),
          ),
          destination('shards', DestinationTarget.createStream({ streamName: 'x', shardCount: 2 }), {
            segments: [{ id: 'not-in-catalog', mappingCreatedAt: 1, mappingUpdatedAt: 1 }],
          }),
        ],
      }));
    } catch (e) {
      error = e;
    }

    expect(error).toBeInstanceOf(KinesisDestinationPropsError);
    const issues = (error as KinesisDestinationPropsError).issues;
    expect(issues).toEqual(
      expect.arrayContaining([
        'pipelineName: "not a name!" must be 1–128 letters, digits or "-", starting with a letter or digit',
        'dataRemovalPolicy: SNAPSHOT is not supported: SQS queues and Kinesis streams have no snapshot; use RETAIN_ON_UPDATE_OR_DELETE (the default), RETAIN or DESTROY',
        'kinesisEndpoint: needs staticEgressIps: true: the endpoint is placed in the VPC that option creates',
        "elasticIpAllocationIds: needs staticEgressIps: true: the addresses go to that network's NAT gateways",
        'elasticIpAllocationIds: must name 2 allocation ids (one per availability zone), not 1',
        'destinations[1].target: give either stream (an IStream) or streamName, not both',
        'destinations[2].target.shardCount: is only used with mode PROVISIONED; remove it, or set mode',
        'destinations[0].target.streamName: is not a Kinesis stream name (1–128 of a-z, A-Z, 0-9, "_", ".", "-")',
        'alertEmails[0]: is not an e-mail address',
        'peakWritesPerSecond: must be above 0',
      ]),
    );
    expect(issues.some((i) => i.startsWith('destinations[0].id: must be 1–40 lower-case letters'))).toBe(
      true,
    );
    expect(
      issues.some((i) => i.startsWith('destinations[1].target.externalId: is required with roleArn')),
    ).toBe(true);
    expect(
      issues.some((i) =>
        i.startsWith('destinations[2].segments[0].id: segment "not-in-catalog" is not in segmentCatalog'),
      ),
    ).toBe(true);
    expect((error as Error).message).toMatch(/^KinesisDestination Team\/Pipeline: \d+ problems:\n {2}- /);
  });

  it('refuses an environment that can pass 4 KB once deploy-time values resolve, naming the destinations to give literal ARNs', () => {
    const build = () =>
      onePipeline((stack) => ({
        ...catalog,
        destinations: Array.from({ length: 24 }, (_, i) => {
          const stream = new kinesis.Stream(stack, `Stream${i}`, {
            streamMode: kinesis.StreamMode.ON_DEMAND,
          });
          return destination(`team-${i}`, DestinationTarget.stream(stream));
        }),
      }));
    expect(build).toThrow(KinesisDestinationPropsError);
    expect(build).toThrow(/the Decide function's environment can reach \d+ bytes, over Lambda's 4096/);
    expect(build).toThrow(
      /Give these destinations literal ARNs instead .*: team-\d+ \(streamName, region\); team-\d+/,
    );
  });
});

describe("the stack's partition", () => {
  it("refuses, at synth, a role of another partition than the stack region's, naming both", () => {
    const build = () =>
      onePipeline(
        (stack) => ({
          ...catalog,
          destinations: [
            destination(
              'partner',
              DestinationTarget.crossAccountStream({
                streamName: 'partner-exports',
                region: 'cn-north-1',
                role: iam.Role.fromRoleArn(stack, 'CnRole', 'arn:aws-cn:iam::210987654321:role/writer'),
                externalId: 'kd-partner',
              }),
            ),
          ],
        }),
        { env: { account: '123456789012', region: 'us-east-2' } },
      );

    expect(build).toThrow(KinesisDestinationPropsError);
    expect(build).toThrow(
      /"arn:aws-cn:iam::210987654321:role\/writer" is in partition aws-cn, but the deploying stack is in partition aws/,
    );
  });
});

describe('propsFromConfig()', () => {
  it('fills the construct from a config file: the layer holds that config, unchanged', () => {
    const outdir = join(scratch, 'from-config');
    const config = exampleConfig();
    const { template } = onePipeline((stack) => propsFromConfig(stack, config), { app: testApp(outdir) });

    expect(layerConfigOf(template(), outdir)).toEqual(JSON.parse(JSON.stringify(config)));
  });
});

describe('validationDocument()', () => {
  it("validates a deploy-time value as a literal of the config's partition and the destination's region", () => {
    // What an unresolved CDK token looks like in a string.
    const token = ['${', 'Token[TOKEN.123]}'].join('');
    const cn = {
      document: {
        id: 'cn',
        region: 'cn-northwest-1',
        streamName: token,
        kmsKeyArn: token,
        roleArn: 'arn:aws-cn:iam::123456789012:role/w',
      },
      deployTime: { streamName: token, kmsKeyArn: token },
      target: { kind: 'crossAccountStream' as const },
      issues: [],
    };

    expect(literalPartition([cn])).toBe('aws-cn');
    expect(validationDocument(cn, 'aws-cn')).toMatchObject({
      streamName: 'deploy-time-stream',
      kmsKeyArn: 'arn:aws-cn:kms:cn-northwest-1:000000000000:key/deploy-time',
      roleArn: 'arn:aws-cn:iam::123456789012:role/w',
    });
    const regionless = { ...cn, deployTime: { region: token }, document: { ...cn.document, region: token } };
    expect(validationDocument(regionless, 'aws-cn')).toMatchObject({ region: 'cn-north-1' });
  });
});
